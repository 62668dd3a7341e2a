//! `initLogging`: the core logs through the `log` facade; this picks the platform's sink.

use std::sync::Once;

use crate::LogLevel;

static INIT: Once = Once::new();

fn filter(level: LogLevel) -> log::LevelFilter {
    match level {
        LogLevel::Error => log::LevelFilter::Error,
        LogLevel::Warn => log::LevelFilter::Warn,
        LogLevel::Info => log::LevelFilter::Info,
        LogLevel::Debug => log::LevelFilter::Debug,
        LogLevel::Trace => log::LevelFilter::Trace,
    }
}

pub(crate) fn init(level: LogLevel) {
    INIT.call_once(install);
    log::set_max_level(filter(level));
}

#[cfg(target_os = "android")]
fn install() {
    android_logger::init_once(
        android_logger::Config::default()
            .with_tag("dingtalk-auth")
            .with_max_level(log::LevelFilter::Trace),
    );
}

#[cfg(any(target_os = "ios", target_os = "macos"))]
fn install() {
    // Another logger may already be installed by the app; then ours is simply not used.
    let _ = oslog::OsLogger::new("dev.dingtalkauth")
        .level_filter(log::LevelFilter::Trace)
        .init();
}

#[cfg(not(any(target_os = "android", target_os = "ios", target_os = "macos")))]
fn install() {
    struct Stderr;
    impl log::Log for Stderr {
        fn enabled(&self, _: &log::Metadata<'_>) -> bool {
            true
        }
        fn log(&self, record: &log::Record<'_>) {
            eprintln!("[dingtalk-auth {}] {}", record.level(), record.args());
        }
        fn flush(&self) {}
    }
    static LOGGER: Stderr = Stderr;
    let _ = log::set_logger(&LOGGER);
}
