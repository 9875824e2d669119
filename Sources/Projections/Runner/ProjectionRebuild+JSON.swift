import EventLog

extension ProjectionRebuild.Status {
    /// The status as JSON fields (the caller opens the object): what `/health`, the rebuild
    /// endpoint and `tape rebuild` show.
    public func writeJSON(to j: inout JSONText) {
        j.key("projection"); j.value(name)
        j.key("version"); j.value(version)
        j.key("mode"); j.value(mode.rawValue)
        j.key("phase"); j.value(phase.rawValue)
        j.key("next_offset"); j.value(nextOffset)
        j.key("end_offset"); j.value(endOffset)
        j.key("started_at"); j.seconds(startedAt)
        if let finishedAt { j.key("finished_at"); j.seconds(finishedAt) }
        if let hash { j.key("hash"); j.value(hash) }
        if let error { j.key("error"); j.value(error) }
        guard let diff else { return }
        j.key("diff"); j.beginObject()
        j.key("identical"); j.value(diff.isIdentical)
        j.key("offset"); j.value(diff.offset)
        j.key("live_hash"); j.value(diff.liveHash)
        j.key("rebuilt_hash"); j.value(diff.rebuiltHash)
        j.key("tables"); j.beginArray()
        for table in diff.tables {
            j.beginObject()
            j.key("name"); j.value(table.name)
            j.key("live_rows"); j.value(table.liveRows)
            j.key("rebuilt_rows"); j.value(table.rebuiltRows)
            j.key("only_in_live"); j.value(table.onlyInLive)
            j.key("only_in_rebuilt"); j.value(table.onlyInRebuilt)
            j.key("samples_only_in_live"); j.beginArray(); for row in table.samplesOnlyInLive { j.value(row) }; j.endArray()
            j.key("samples_only_in_rebuilt"); j.beginArray(); for row in table.samplesOnlyInRebuilt { j.value(row) }; j.endArray()
            j.endObject()
        }
        j.endArray()
        j.endObject()
    }
}
