// swift-tools-version:5.9
// The Onsite core for Swift. On Apple platforms the native library comes as
// OnsiteFFI.xcframework (build it with ./build-xcframework.sh on a Mac). On
// Linux (used to run the tests where no Apple toolchain exists) it links the
// library built for the host: set ONSITE_LIB_DIR to the folder that holds
// libonsite_ffi.so.
import PackageDescription

#if os(Linux)
let libDir = Context.environment["ONSITE_LIB_DIR"] ?? "../target/bindings/lib"
let nativeTargets: [Target] = [
    .systemLibrary(name: "onsiteFFI", path: "Sources/onsiteFFI"),
    .systemLibrary(name: "onsite_coreFFI", path: "Sources/onsite_coreFFI"),
]
let nativeDependencies: [Target.Dependency] = ["onsiteFFI", "onsite_coreFFI"]
let linkerSettings: [LinkerSetting] = [
    .unsafeFlags(["-L", libDir, "-lonsite_ffi", "-Xlinker", "-rpath", "-Xlinker", libDir]),
]
#else
let nativeTargets: [Target] = [.binaryTarget(name: "OnsiteFFI", path: "OnsiteFFI.xcframework")]
let nativeDependencies: [Target.Dependency] = ["OnsiteFFI"]
let linkerSettings: [LinkerSetting] = []
#endif

let package = Package(
    name: "Onsite",
    platforms: [.iOS(.v15), .macOS(.v12)],
    products: [.library(name: "Onsite", targets: ["Onsite"])],
    targets: nativeTargets + [
        .target(
            name: "Onsite",
            dependencies: nativeDependencies,
            path: "Sources/Onsite",
            linkerSettings: linkerSettings
        ),
        .testTarget(name: "OnsiteTests", dependencies: ["Onsite"], path: "Tests/OnsiteTests"),
    ]
)
