// Onsite for Android: the UniFFI-generated Kotlin bindings, the idiomatic
// layer in src/main/kotlin, and libonsite_ffi.so for each ABI, built from the
// Rust workspace one folder up with cargo-ndk.
import org.gradle.api.tasks.Exec

plugins {
    id("com.android.library") version "8.7.3"
    id("org.jetbrains.kotlin.android") version "2.1.0"
}

val workspace = rootDir.resolve("..").canonicalFile.let { if (it.resolve("Cargo.toml").exists()) it else projectDir.resolve("..").canonicalFile }
val abis = listOf("arm64-v8a", "armeabi-v7a", "x86_64")
val jniLibsDir = layout.buildDirectory.dir("rustJniLibs")
val generatedKotlin = layout.buildDirectory.dir("generated/uniffi/kotlin")

android {
    namespace = "app.onsite"
    compileSdk = 35
    ndkVersion = "27.2.12479018"

    defaultConfig {
        minSdk = 24
        consumerProguardFiles("consumer-rules.pro")
        ndk { abiFilters += abis }
    }
    sourceSets["main"].apply {
        jniLibs.srcDir(jniLibsDir)
        kotlin.srcDir(generatedKotlin)
    }
    compileOptions {
        sourceCompatibility = JavaVersion.VERSION_17
        targetCompatibility = JavaVersion.VERSION_17
    }
    kotlinOptions { jvmTarget = "17" }
    testOptions { unitTests.isReturnDefaultValues = true }
}

dependencies {
    // UniFFI's Kotlin calls the native library through JNA; the @aar
    // variant carries JNA's own .so files for every Android ABI.
    implementation("net.java.dev.jna:jna:5.15.0@aar")
    implementation("org.jetbrains.kotlinx:kotlinx-coroutines-android:1.9.0")
    // The sync transport (OkHttpTransport); the 3.x API it is written
    // against is also in OkHttp 4 (binary compatible).
    implementation("com.squareup.okhttp3:okhttp:3.14.9")
    testImplementation("junit:junit:4.13.2")
    testImplementation("net.java.dev.jna:jna:5.15.0")
    testImplementation("org.jetbrains.kotlinx:kotlinx-coroutines-core:1.9.0")
}

// 1. The release library for every ABI (cargo install cargo-ndk; the NDK from
//    the Android SDK manager). Strip happens in the Android packaging step.
val cargoNdk by tasks.registering(Exec::class) {
    group = "rust"
    description = "Builds libonsite_ffi.so for ${abis.joinToString()} with cargo-ndk"
    workingDir = workspace
    commandLine(
        listOf("cargo", "ndk") + abis.flatMap { listOf("-t", it) } +
            listOf("-o", jniLibsDir.get().asFile.path, "build", "--release", "-p", "onsite-ffi", "--locked")
    )
    inputs.files(fileTree(workspace.resolve("core/src")), fileTree(workspace.resolve("bindings/src")))
    outputs.dir(jniLibsDir)
}

// 2. Kotlin bindings generated from a host build of the same crate (UniFFI
//    reads the library's metadata; the host debug build keeps it).
val uniffiBindgen by tasks.registering(Exec::class) {
    group = "rust"
    description = "Generates the Kotlin bindings with uniffi-bindgen"
    workingDir = workspace
    commandLine("bash", "bindings/generate.sh")
    doLast {
        copy {
            from(workspace.resolve("target/bindings/kotlin"))
            into(generatedKotlin)
        }
    }
    inputs.files(fileTree(workspace.resolve("core/src")), fileTree(workspace.resolve("bindings/src")))
    outputs.dir(generatedKotlin)
}

tasks.named("preBuild") { dependsOn(cargoNdk, uniffiBindgen) }
