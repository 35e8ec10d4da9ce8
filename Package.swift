// swift-tools-version:6.1
import PackageDescription

// Dependencies point one way: the CLI (BuurtboekCLI) uses Reports, Projections, Audit,
// Privacy, Membership, Remote and Ledger; the team server (Server) uses Membership, Reports and
// Ledger, and only buurtboek-team links it and the network client (RemoteNIO);
// Reports renders read models from Projections (and never touches LMDB); Projections folds the
// Ledger into its own LMDB store; Privacy uses Ledger (to implement its sealing protocol) and
// LMDB; Ledger uses Catalogue, Merkle (the tree, pure functions over hashes) and LMDB;
// Catalogue uses JSON; TextFormats (RFC 3339, UUID, base64) and Threads (locks, conditions,
// worker threads) sit under them all and use nothing; nothing imports the CLI.
// Release builds leave out the run-time exclusivity checks (`-enforce-exclusivity=unchecked`):
// they cost an import 4-6% of its CPU (bench-import-stages, alternating runs: prepare 3.13 ->
// 3.04 µs/event, write 2.24 -> 2.10, medians of 6). The compiler still proves what it can
// statically, and debug builds, which run the tests, keep the dynamic checks.
let release: [SwiftSetting] = [.unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release))]

// The worker's CLI starts a process for every event it appends, and a third of that process's
// life went to the dynamic loader. Linked as a position-dependent executable (`-no-pie`), it has
// no relocations of its own to apply at start (the static Swift libraries brought 83,587), and
// without `--export-dynamic` it offers the shared libraries 541 symbols to search instead of
// 8,054. One append: 14.1 -> 11.7 ms (perf stat -r 30), 1,110 -> 874 page faults. The price
// is that the executable itself loads at a fixed address (its heap, stack and libraries are
// still randomized); it reads the files it is given and listens to nothing.
let startUp = ["-Xlinker", "-no-pie", "-Xlinker", "--no-export-dynamic"]

let package = Package(
    name: "Buurtboek",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "buurtboek", targets: ["buurtboek"]),
        .executable(name: "buurtboek-team", targets: ["buurtboek-team"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        // The team server (`buurtboek serve`) and the remote CLI's client. Hummingbird's
        // optional traits (swift-configuration, full Foundation) are left out: they cost build
        // time and the server reads its settings from the command line.
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1", traits: []),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        // Already built for Hummingbird; named for the HTTP parts the request pacer reads.
        .package(url: "https://github.com/apple/swift-nio-extras", from: "1.30.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
    ],
    targets: [
        .systemLibrary(name: "CLMDB", pkgConfig: "lmdb",
                       providers: [.apt(["liblmdb-dev"])]),
        // SHA-256 and ChaCha20-Poly1305 without an allocation per call, for the import's hot
        // paths (the tree and sealing), from the system's libcrypto; swift-crypto does the rest.
        .systemLibrary(name: "CLibCrypto", pkgConfig: "libcrypto",
                       providers: [.apt(["libssl-dev"])]),
        .target(name: "LibCryptoShim", dependencies: ["CLibCrypto"], cSettings: [.unsafeFlags(["-O2"])]),
        .target(name: "CSimdJSON",
                cxxSettings: [.unsafeFlags(["-O3"])],
                linkerSettings: [.linkedLibrary("simdjson")]),
        .target(name: "LMDB", dependencies: ["CLMDB", "Threads"], swiftSettings: release),
        // RFC 3339 times, UUIDs, base64 and the calendar: the text forms of the ledger's values.
        .target(name: "TextFormats", swiftSettings: release),
        // The one threading idiom: our own threads, locks and conditions, on POSIX threads.
        .target(name: "Threads", swiftSettings: release),
        .target(name: "JSON", dependencies: ["CSimdJSON"], swiftSettings: release, linkerSettings: [.linkedLibrary("m")]),
        .target(name: "Catalogue", dependencies: ["JSON", "TextFormats", "Threads"], swiftSettings: release),
        // The RFC 9162 tree: pure functions over hashes, storage behind `HashReader`.
        .target(name: "Merkle", dependencies: ["LibCryptoShim"], swiftSettings: release),
        .target(name: "Ledger", dependencies: ["LMDB", "JSON", "TextFormats", "Threads", "Catalogue", "Merkle", "LibCryptoShim"], swiftSettings: release),
        .target(name: "Privacy", dependencies: [
            "Ledger", "LMDB", "JSON", "TextFormats", "Threads", "LibCryptoShim",
            .product(name: "Crypto", package: "swift-crypto"),
        ], swiftSettings: release),
        .target(name: "Audit", dependencies: [
            "Ledger", "Merkle", "Catalogue", "JSON", "TextFormats",
            .product(name: "Crypto", package: "swift-crypto"),
        ], swiftSettings: release),
        .target(name: "Projections", dependencies: [
            "Ledger", "Merkle", "LMDB", "JSON", "TextFormats", "Threads",
            .product(name: "Crypto", package: "swift-crypto"),
        ], swiftSettings: release),
        .target(name: "Reports", dependencies: ["Projections", "Ledger", "Catalogue", "JSON", "TextFormats"], swiftSettings: release),
        // Members and roles of a team server, folded from the log's member events.
        .target(name: "Membership", dependencies: ["Ledger", "Privacy", "JSON"], swiftSettings: release),
        // `buurtboek serve`: the ledger over HTTP(S), on Hummingbird (SwiftNIO).
        .target(name: "Server", dependencies: [
            "Ledger", "Membership", "Privacy", "Audit", "Catalogue", "JSON", "TextFormats", "Threads", "Projections", "Reports", "Remote",
            .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "HummingbirdCore", package: "hummingbird"),
            .product(name: "HummingbirdTLS", package: "hummingbird"),
            .product(name: "NIOSSL", package: "swift-nio-ssl"),
            .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
            .product(name: "Logging", package: "swift-log"),
            .product(name: "Prometheus", package: "swift-prometheus"),
            .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        ], swiftSettings: release),
        // The remote CLI's side, without network code: requests, retries, followed streams,
        // the server's settings. The bytes travel by RemoteNIO's transport.
        .target(name: "Remote", dependencies: ["JSON", "Threads"], swiftSettings: release),
        // A small HTTP/1.1 client on SwiftNIO, TLS by swift-nio-ssl.
        .target(name: "RemoteNIO", dependencies: [
            "Remote",
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOHTTP1", package: "swift-nio"),
            .product(name: "NIOSSL", package: "swift-nio-ssl"),
        ], swiftSettings: release),
        // The commands, shared by the two executables below.
        .target(name: "BuurtboekCLI", dependencies: [
            "Ledger", "Merkle", "Catalogue", "JSON", "TextFormats", "Privacy", "Audit", "Projections", "Reports", "Membership", "Remote",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ], swiftSettings: release),
        // jemalloc (libjemalloc-dev) replaces glibc's malloc in the tools: an import allocates
        // on the preparing threads and frees on the writing one, which glibc's arenas serve
        // slowly (an import of a million events is about a fifth faster with it).
        // `buurtboek` is the CLI without the network: SwiftNIO, Hummingbird and a second
        // BoringSSL made its start 9-10 ms slower (22.7 -> 32.2 ms for --version, perf stat -r 20;
        // 1,061 -> 1,577 page faults; 3,149 -> 10,823 relocations to resolve), and a worker's
        // append is timed from process start. A command that needs the network runs
        // `buurtboek-team`, the same CLI with them linked in, in its place (execv).
        .executableTarget(name: "buurtboek", dependencies: ["BuurtboekCLI"], swiftSettings: release,
                          linkerSettings: [.linkedLibrary("jemalloc"), .unsafeFlags(startUp, .when(platforms: [.linux], configuration: .release))]),
        .executableTarget(name: "buurtboek-team", dependencies: ["BuurtboekCLI", "Server", "RemoteNIO", "Remote"], swiftSettings: release,
                          linkerSettings: [.linkedLibrary("jemalloc")]),
        .executableTarget(name: "generate-year", dependencies: [
            "JSON", "TextFormats", .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ], path: "Sources/GenerateYear"),
        .executableTarget(name: "bench-server-load", dependencies: [
            .product(name: "NIOCore", package: "swift-nio"),
            .product(name: "NIOPosix", package: "swift-nio"),
            .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
        ], path: "Sources/BenchServerLoad", swiftSettings: release),
        .executableTarget(name: "bench-import-stages", dependencies: ["Ledger", "Catalogue", "Privacy"],
                          path: "Sources/BenchImportStages", swiftSettings: release, linkerSettings: [.linkedLibrary("jemalloc")]),
        .testTarget(name: "LMDBTests", dependencies: ["LMDB"]),
        .testTarget(name: "JSONTests", dependencies: ["JSON", "TextFormats"]),
        .testTarget(name: "CatalogueTests", dependencies: ["Catalogue", "JSON"]),
        .testTarget(name: "ThreadsTests", dependencies: ["Threads"]),
        .testTarget(name: "MerkleTests", dependencies: ["Merkle"], resources: [.copy("Fixtures")]),
        .testTarget(name: "LedgerTests", dependencies: ["Ledger", "Merkle", "TextFormats", "Catalogue", "JSON", "Privacy", "LMDB"]),
        .testTarget(name: "AuditTests", dependencies: ["Audit", "Ledger", "Catalogue", "JSON", "Privacy"]),
        .testTarget(name: "PrivacyTests", dependencies: ["Privacy", "Ledger", "Catalogue", "JSON",
                                                         .product(name: "Crypto", package: "swift-crypto")]),
        .testTarget(name: "ProjectionsTests", dependencies: ["Projections", "Merkle", "TextFormats", "Ledger", "Catalogue", "Privacy", "JSON"]),
        .testTarget(name: "ReportsTests", dependencies: ["Reports"]),
        .testTarget(name: "MembershipTests", dependencies: ["Membership", "Ledger", "Catalogue", "Privacy", "JSON"]),
        .testTarget(name: "CLITests", dependencies: ["buurtboek", "buurtboek-team", "generate-year", "Catalogue", "JSON"], resources: [.copy("Fixtures")]),
    ],
    cxxLanguageStandard: .cxx17
)
