'use strict';
// The platform name napi-rs gives this machine: the suffix of the native module's file name
// (`native/kavach.<name>.node`) and of the prebuilt package (`kavachos-<name>`).

/** napi-rs's name for this machine, e.g. 'linux-x64-gnu', 'darwin-arm64', 'win32-x64-msvc'. */
function platformName() {
  const { platform, arch } = process;
  if (platform === 'linux') {
    let report = null;
    if (typeof process.report?.getReport === 'function') {
      process.report.excludeNetwork = true; // as napi-rs's loader does: no socket enumeration
      report = process.report.getReport();
    }
    const glibc = Boolean(report?.header?.glibcVersionRuntime);
    const abi = arch === 'arm' ? (glibc ? 'gnueabihf' : 'musleabihf') : glibc ? 'gnu' : 'musl';
    return `linux-${arch}-${abi}`;
  }
  if (platform === 'win32') return `win32-${arch}-msvc`;
  return `${platform}-${arch}`;
}

module.exports = { platformName };

if (require.main === module) console.log(platformName());
