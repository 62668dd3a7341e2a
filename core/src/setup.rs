//! What the platforms' setup self-checks report, where the answer is a rule about DingTalk rather than
//! about the device: how serious it is that DingTalk is missing or too old for the flows an app uses.

use crate::config::{LoginFlow, Platform};

/// Defines [`SetupSeverity`]. The UniFFI façade expands this same definition under `#[uniffi::remote(…)]`,
/// so the type and the documentation apps read are written once, here.
#[doc(hidden)]
#[macro_export]
macro_rules! define_setup_severity {
    ($(#[$attr:meta])*) => {
        /// How serious a setup finding is.
        $(#[$attr])*
        pub enum SetupSeverity {
            /// A flow the app uses cannot work.
            Error,
            /// The flows work, but not in every case (e.g. only through a web fallback).
            Warning,
        }
    };
}
define_setup_severity!(#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]);

/// How serious it is that DingTalk is not installed (or too old) on the device, for an app that uses
/// `flows` on `platform`; `None` when no flow needs DingTalk.
///
/// - The legacy SDK (DDShare, DTShareKit) only hands the request to the DingTalk app: without it there
///   is no login, on either platform, so [`SetupSeverity::Error`].
/// - The new SDK falls back to a login page of its own: Android's ddopenauth opens its
///   `AuthWebviewActivity` (login.dingtalk.com) and reports `type=web`; iOS's ADTOpenAuthSDK opens an
///   in-app H5 page from `sendReq:onViewController:`. So at most [`SetupSeverity::Warning`].
/// - The browser flow never needs DingTalk.
///
/// The platform is a parameter because the SDKs differ per platform; today the rule is the same on both.
pub fn dingtalk_unavailable_severity(
    flows: &[LoginFlow],
    platform: Platform,
) -> Option<SetupSeverity> {
    flows
        .iter()
        .filter_map(|flow| match (flow, platform) {
            (LoginFlow::LegacySdk, Platform::Android | Platform::Ios) => Some(SetupSeverity::Error),
            (LoginFlow::NewSdk, Platform::Android | Platform::Ios) => Some(SetupSeverity::Warning),
            (LoginFlow::Browser, _) => None,
        })
        .min()
}

#[cfg(test)]
mod tests {
    use super::*;
    use LoginFlow::*;

    #[test]
    fn the_legacy_sdk_needs_dingtalk_and_the_new_sdk_falls_back() {
        for p in [Platform::Android, Platform::Ios] {
            let severity = |flows: &[LoginFlow]| dingtalk_unavailable_severity(flows, p);
            assert_eq!(severity(&[LegacySdk]), Some(SetupSeverity::Error));
            assert_eq!(
                severity(&[Browser, NewSdk, LegacySdk]),
                Some(SetupSeverity::Error)
            );
            assert_eq!(severity(&[NewSdk]), Some(SetupSeverity::Warning));
            assert_eq!(severity(&[NewSdk, Browser]), Some(SetupSeverity::Warning));
            assert_eq!(severity(&[Browser]), None);
            assert_eq!(severity(&[]), None);
        }
    }
}
