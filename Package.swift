// swift-tools-version:6.0
import PackageDescription

// Dependencies point one way: the CLI uses Reports, Projections, Audit, Privacy and Ledger;
// Reports renders read models from Projections (and never touches LMDB); Projections folds the
// Ledger into its own LMDB store; Privacy uses Ledger (to implement its sealing protocol) and
// LMDB; Ledger uses Catalogue and LMDB; Catalogue uses JSON; nothing imports the CLI.
let package = Package(
    name: "Buurtboek",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "buurtboek", targets: ["buurtboek"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
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
        .target(name: "LMDB", dependencies: ["CLMDB"]),
        .target(name: "JSON", dependencies: ["CSimdJSON"], linkerSettings: [.linkedLibrary("m")]),
        .target(name: "Catalogue", dependencies: ["JSON"]),
        .target(name: "Ledger", dependencies: ["LMDB", "JSON", "Catalogue", "LibCryptoShim"]),
        .target(name: "Privacy", dependencies: [
            "Ledger", "LMDB", "JSON", "LibCryptoShim",
            .product(name: "Crypto", package: "swift-crypto"),
        ]),
        .target(name: "Audit", dependencies: [
            "Ledger", "Catalogue", "JSON",
            .product(name: "Crypto", package: "swift-crypto"),
        ]),
        .target(name: "Projections", dependencies: [
            "Ledger", "LMDB", "JSON",
            .product(name: "Crypto", package: "swift-crypto"),
        ]),
        .target(name: "Reports", dependencies: ["Projections", "JSON"]),
        // jemalloc (libjemalloc-dev) replaces glibc's malloc in the tools: an import allocates
        // on the preparing threads and frees on the writing one, which glibc's arenas serve
        // slowly (an import of a million events is about a fifth faster with it).
        .executableTarget(name: "buurtboek", dependencies: [
            "Ledger", "LMDB", "Catalogue", "JSON", "Privacy", "Audit", "Projections", "Reports",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ], linkerSettings: [.linkedLibrary("jemalloc")]),
        .executableTarget(name: "generate-year", dependencies: [
            "JSON", .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ], path: "Sources/GenerateYear"),
        .executableTarget(name: "bench-import-stages", dependencies: ["Ledger", "Catalogue", "Privacy"],
                          path: "Sources/BenchImportStages", linkerSettings: [.linkedLibrary("jemalloc")]),
        .testTarget(name: "LMDBTests", dependencies: ["LMDB"]),
        .testTarget(name: "JSONTests", dependencies: ["JSON"]),
        .testTarget(name: "CatalogueTests", dependencies: ["Catalogue", "JSON"]),
        .testTarget(name: "LedgerTests", dependencies: ["Ledger", "Catalogue", "JSON", "Privacy", "LMDB"],
                    resources: [.copy("Fixtures")]),
        .testTarget(name: "AuditTests", dependencies: ["Audit", "Ledger", "Catalogue", "JSON", "Privacy"]),
        .testTarget(name: "PrivacyTests", dependencies: ["Privacy", "Ledger", "Catalogue", "JSON",
                                                         .product(name: "Crypto", package: "swift-crypto")]),
        .testTarget(name: "ProjectionsTests", dependencies: ["Projections", "Ledger", "Catalogue", "Privacy", "JSON"]),
        .testTarget(name: "ReportsTests", dependencies: ["Reports"]),
        .testTarget(name: "CLITests", dependencies: ["buurtboek", "generate-year"]),
    ],
    cxxLanguageStandard: .cxx17
)
