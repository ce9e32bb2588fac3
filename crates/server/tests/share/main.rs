//! Share pages end to end, one test binary: `browser` opens them in a real headless Chromium
//! (Debian's `chromium` and `chromium-driver`, which `.ci/run` installs) through WebDriver, and
//! `logs` runs the real `fyd-server` binary to read what it logs about a link.

mod browser;
mod logs;
