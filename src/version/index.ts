export { EtcdRelease, EMULATED_RELEASES, DEFAULT_RELEASE_VERSION, INTRODUCED, introducedBy, type Behaviour, type ReleaseDescription } from './release.js';
export { parseSemver, parseGoSemver, parseClusterVersion, compareSemver, formatSemver, majorMinorText, minorOf, type Semver } from './semver.js';
