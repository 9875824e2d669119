import Testing

extension FuzzCampaign.Report {
    /// Growth of resident memory over a run that counts as unbounded (other suites run alongside, so this is loose).
    static let residentGrowthBound = 512 << 20

    /// Records an issue for each broken invariant, a hang (an input over the deadline) and memory that kept growing.
    func expectClean(_ name: String, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(violationCount == 0, "\(name): \(violationCount) of \(inputs) inputs broke an invariant:\n\(violations.joined(separator: "\n"))",
                sourceLocation: sourceLocation)
        #expect(slowest <= inputDeadline, "\(name): an input took \(slowest), more than \(inputDeadline): \(slowestInput)",
                sourceLocation: sourceLocation)
        #expect(residentAfter - residentBefore < Self.residentGrowthBound,
                "\(name): resident memory grew from \(residentBefore >> 20) MiB to \(residentAfter >> 20) MiB over \(inputs) inputs",
                sourceLocation: sourceLocation)
    }
}
