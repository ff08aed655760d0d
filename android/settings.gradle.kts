// Lets android/ build on its own (./gradlew :assembleRelease); an app
// includes it instead with include(":onsite") and
// project(":onsite").projectDir = file("path/to/onsite/android").
pluginManagement {
    repositories {
        google()
        mavenCentral()
        gradlePluginPortal()
    }
}
dependencyResolutionManagement {
    repositories {
        google()
        mavenCentral()
    }
}
rootProject.name = "onsite"
