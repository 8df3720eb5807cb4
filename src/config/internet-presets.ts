/**
 * Named host lists for `internet.allow`. An entry is a host or a `*.` wildcard, written as in the config.
 * docs/configuration.md ("Internet access") lists every host of every preset; a unit test keeps the two in step.
 */
export const INTERNET_PRESETS: Readonly<Record<string, readonly string[]>> = {
  "common-dependencies": [
    // npm, Yarn, pnpm (through the npm registry), Node.js downloads (nvm, corepack)
    "registry.npmjs.org",
    "registry.yarnpkg.com",
    "repo.yarnpkg.com",
    "nodejs.org",
    // JSR and Deno
    "jsr.io",
    "deno.land",
    // PyPI (pip, uv, poetry, pipenv) and conda
    "pypi.org",
    "files.pythonhosted.org",
    "conda.anaconda.org",
    "repo.anaconda.com",
    // crates.io and rustup
    "crates.io",
    "index.crates.io",
    "static.crates.io",
    "static.rust-lang.org",
    // Go module proxy, checksum database and toolchains
    "proxy.golang.org",
    "sum.golang.org",
    "go.dev",
    "dl.google.com",
    // Maven Central and Gradle
    "repo.maven.apache.org",
    "repo1.maven.org",
    "plugins.gradle.org",
    "plugins-artifacts.gradle.org",
    "services.gradle.org",
    "downloads.gradle.org",
    // RubyGems
    "rubygems.org",
    "index.rubygems.org",
    // Packagist (Composer), NuGet, Hex, pub.dev
    "packagist.org",
    "repo.packagist.org",
    "api.nuget.org",
    "hex.pm",
    "repo.hex.pm",
    "pub.dev",
    // Debian and Ubuntu package mirrors
    "deb.debian.org",
    "security.debian.org",
    "archive.ubuntu.com",
    "*.archive.ubuntu.com",
    "security.ubuntu.com",
    "ports.ubuntu.com",
    // GitHub release downloads, source archives and raw files
    "github.com",
    "codeload.github.com",
    "objects.githubusercontent.com",
    "release-assets.githubusercontent.com",
    "raw.githubusercontent.com",
  ],
};
