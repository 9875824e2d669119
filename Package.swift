// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "Tape",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "tape", targets: ["tape"]),
        .executable(name: "tape-bench", targets: ["TapeBench"]),
    ],
    targets: [
        // System libraries, linked through pkg-config; `make deps` installs them with apt.
        .systemLibrary(name: "CLZ4", pkgConfig: "liblz4", providers: [.apt(["liblz4-dev"])]),
        .systemLibrary(name: "CSQLite", pkgConfig: "sqlite3", providers: [.apt(["libsqlite3-dev"])]),
        // Header-only: exposes epoll, eventfd, timerfd and inotify, which Glibc does not.
        .systemLibrary(name: "CSystem"),

        .target(name: "EventLog", dependencies: ["CLZ4", "CSystem"]),
        .target(name: "Projections", dependencies: ["EventLog", "CSQLite"]),
        .target(name: "Services", dependencies: ["EventLog", "Projections"]),
        .target(name: "Gateway", dependencies: ["Services", "Projections", "EventLog", "CSystem"]),
        .executableTarget(name: "tape", dependencies: ["EventLog", "Projections", "Services", "Gateway"]),
        .executableTarget(name: "TapeBench", dependencies: ["EventLog", "Projections", "Services", "Gateway", "CSQLite", "CSystem"]),

        // What several test targets share: running the built `tape` and other processes.
        .target(name: "TapeTestSupport", dependencies: ["Gateway"], path: "Tests/TapeTestSupport"),
        .testTarget(name: "EventLogTests", dependencies: ["EventLog", "tape", "TapeTestSupport"]),
        .testTarget(name: "ProjectionsTests", dependencies: ["Projections", "EventLog", "tape", "TapeTestSupport"]),
        .testTarget(name: "ServicesTests", dependencies: ["Services", "Projections", "EventLog", "tape", "TapeTestSupport"]),
        .testTarget(name: "GatewayTests", dependencies: ["Gateway", "Services", "EventLog", "tape", "TapeTestSupport"]),
        // Faults across the whole system: kill -9 under load, corruption, a full disk, hostile input.
        .testTarget(name: "ReliabilityTests", dependencies: ["Gateway", "Services", "Projections", "EventLog", "tape", "TapeTestSupport"]),
    ],
    swiftLanguageModes: [.v6]
)
