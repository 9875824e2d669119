import EventLog
import Foundation

/// `backup.json`: what a backup holds, written last so that its presence marks a complete backup.
/// A value type; `tape backup` writes it and `tape restore` checks the copy against it.
struct BackupManifest {
    /// The version of `tape` that wrote backups in this format.
    static let tapeVersion = "0.1.0"
    static let fileName = "backup.json"
    static let databaseName = "projections.sqlite"

    /// One segment file of the backup.
    struct Segment: Equatable {
        var name: String
        var firstOffset: UInt64
        var endOffset: UInt64
        var bytes: Int64
    }

    var createdAt: Timestamp
    var source: String
    var tapeVersion = BackupManifest.tapeVersion
    var startOffset: UInt64
    var endOffset: UInt64
    var segments: [Segment]
    /// The size of the projections database, nil when the data directory had none.
    var databaseBytes: Int64?
    /// Each checkpoint in the copied database: projection (or alert engine) name and next offset.
    var checkpoints: [(name: String, offset: UInt64)]

    /// The manifest as compact JSON with a final newline.
    var json: String {
        var j = JSONText()
        j.beginObject()
        j.key("format"); j.value(1)
        j.key("tape_version"); j.value(tapeVersion)
        j.key("log_format"); j.value(Int(BatchHeader.formatVersion))
        j.key("created_at"); j.value(createdAt.iso8601)
        j.key("source"); j.value(source)
        j.key("start_offset"); j.value(startOffset)
        j.key("end_offset"); j.value(endOffset)
        j.key("segments")
        j.beginArray()
        for segment in segments {
            j.beginObject()
            j.key("name"); j.value(segment.name)
            j.key("first_offset"); j.value(segment.firstOffset)
            j.key("end_offset"); j.value(segment.endOffset)
            j.key("bytes"); j.value(segment.bytes)
            j.endObject()
        }
        j.endArray()
        j.key("projections")
        if let databaseBytes {
            j.beginObject()
            j.key("file"); j.value(BackupManifest.databaseName)
            j.key("bytes"); j.value(databaseBytes)
            j.key("checkpoints")
            j.beginObject()
            for checkpoint in checkpoints { j.key(dynamic: checkpoint.name); j.value(checkpoint.offset) }
            j.endObject()
            j.endObject()
        } else {
            j.null()
        }
        j.endObject()
        return j.string + "\n"
    }

    /// Reads `BACKUP/backup.json`, naming the backup and the field when something is wrong.
    static func read(from backup: String) throws -> BackupManifest {
        let path = backup + "/" + fileName
        guard let data = FileManager.default.contents(atPath: path) else {
            throw BackupError("\(path) is missing: \(backup) is not a complete tape backup (a backup writes it last)")
        }
        guard let object = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any] else {
            throw BackupError("\(path) is not a JSON object")
        }
        func number(_ value: Any?, _ field: String) throws -> UInt64 {
            guard let n = value as? NSNumber, n.int64Value >= 0 else { throw BackupError("\(path): \(field) is missing or not a count") }
            return n.uint64Value
        }
        guard let rawSegments = object["segments"] as? [[String: Any]] else { throw BackupError("\(path): segments is missing") }
        let segments = try rawSegments.enumerated().map { i, s in
            guard let name = s["name"] as? String else { throw BackupError("\(path): segments[\(i)].name is missing") }
            return Segment(name: name, firstOffset: try number(s["first_offset"], "segments[\(i)].first_offset"),
                           endOffset: try number(s["end_offset"], "segments[\(i)].end_offset"),
                           bytes: Int64(try number(s["bytes"], "segments[\(i)].bytes")))
        }
        var databaseBytes: Int64?
        var checkpoints: [(String, UInt64)] = []
        if let projections = object["projections"] as? [String: Any] {
            databaseBytes = Int64(try number(projections["bytes"], "projections.bytes"))
            for (name, offset) in (projections["checkpoints"] as? [String: Any] ?? [:]).sorted(by: { $0.key < $1.key }) {
                checkpoints.append((name, try number(offset, "projections.checkpoints.\(name)")))
            }
        }
        let created = (object["created_at"] as? String).flatMap(Timestamp.init(iso8601:))
        return BackupManifest(createdAt: created ?? .zero, source: object["source"] as? String ?? "",
                              tapeVersion: object["tape_version"] as? String ?? "unknown",
                              startOffset: try number(object["start_offset"], "start_offset"),
                              endOffset: try number(object["end_offset"], "end_offset"),
                              segments: segments, databaseBytes: databaseBytes, checkpoints: checkpoints)
    }
}

/// Why a backup or restore was refused or failed; exits with status 1.
struct BackupError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
