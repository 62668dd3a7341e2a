//! A deliberately small URL splitter: `scheme://[host][:port][/path][?query][#fragment]`.
//!
//! The core compares a callback against the configured redirect URI part by part and reads three query
//! parameters; a full WHATWG parser (and its IDNA tables) would triple the mobile library for that.
//! Anything outside this shape is refused rather than guessed at.

use crate::error::CallbackError;

/// The parts of a URL the core cares about. Borrowed from the input; scheme and host are compared
/// case-insensitively by [`Parts::same_endpoint`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Parts<'a> {
    pub scheme: &'a str,
    pub host: &'a str,
    pub port: Option<u16>,
    pub path: &'a str,
    pub query: Option<&'a str>,
    pub fragment: Option<&'a str>,
}

pub(crate) fn split(input: &str) -> Result<Parts<'_>, CallbackError> {
    if input.bytes().any(|b| b <= b' ' || b == 0x7f) {
        return Err(CallbackError::Syntax(
            "contains whitespace or control characters",
        ));
    }
    let (scheme, rest) = input
        .split_once("://")
        .ok_or(CallbackError::Syntax("no `scheme://`"))?;
    let mut chars = scheme.chars();
    let first_ok = chars.next().is_some_and(|c| c.is_ascii_alphabetic());
    if !first_ok || !chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.')) {
        return Err(CallbackError::Syntax("bad scheme"));
    }
    let (rest, fragment) = match rest.split_once('#') {
        Some((r, f)) => (r, Some(f)),
        None => (rest, None),
    };
    let (rest, query) = match rest.split_once('?') {
        Some((r, q)) => (r, Some(q)),
        None => (rest, None),
    };
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, ""),
    };
    if authority.contains('@') {
        return Err(CallbackError::Syntax("user info is not allowed"));
    }
    let (host, port) = split_host_port(authority)?;
    Ok(Parts {
        scheme,
        host,
        port,
        path,
        query,
        fragment,
    })
}

fn split_host_port(authority: &str) -> Result<(&str, Option<u16>), CallbackError> {
    // IPv6 literal: [::1]:8080
    let (host, port) = if let Some(stripped) = authority.strip_prefix('[') {
        let end = stripped
            .find(']')
            .ok_or(CallbackError::Syntax("unclosed IPv6 literal"))?;
        let host = &authority[..end + 2];
        match &stripped[end + 1..] {
            "" => (host, None),
            p => (
                host,
                Some(
                    p.strip_prefix(':')
                        .ok_or(CallbackError::Syntax("bad port"))?,
                ),
            ),
        }
    } else {
        match authority.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (authority, None),
        }
    };
    if host.contains(['[', ']']) && !host.starts_with('[') {
        return Err(CallbackError::Syntax("bad host"));
    }
    let port = match port {
        None => None,
        Some(p) if !p.is_empty() && p.len() <= 5 && p.bytes().all(|b| b.is_ascii_digit()) => Some(
            p.parse::<u16>()
                .map_err(|_| CallbackError::Syntax("bad port"))?,
        ),
        Some(_) => return Err(CallbackError::Syntax("bad port")),
    };
    Ok((host, port))
}

impl Parts<'_> {
    /// The port, with the scheme's default filled in for http and https.
    pub fn effective_port(&self) -> Option<u16> {
        self.port
            .or(match self.scheme.to_ascii_lowercase().as_str() {
                "https" => Some(443),
                "http" => Some(80),
                _ => None,
            })
    }

    fn normalized_path(&self) -> &str {
        // For http(s) an empty path and "/" are the same resource.
        if self.path.is_empty() && self.is_http() {
            "/"
        } else {
            self.path
        }
    }

    pub fn is_http(&self) -> bool {
        self.scheme.eq_ignore_ascii_case("http") || self.scheme.eq_ignore_ascii_case("https")
    }

    /// Compares scheme, host, port and path; returns the name of the first part that differs.
    pub fn same_endpoint(&self, other: &Parts<'_>) -> Result<(), &'static str> {
        if !self.scheme.eq_ignore_ascii_case(other.scheme) {
            return Err("scheme");
        }
        if !self.host.eq_ignore_ascii_case(other.host) {
            return Err("host");
        }
        if self.effective_port() != other.effective_port() {
            return Err("port");
        }
        if self.normalized_path() != other.normalized_path() {
            return Err("path");
        }
        Ok(())
    }

    /// Loopback (127.0.0.0/8, ::1, localhost) or the Android emulator's alias of the host, 10.0.2.2:
    /// the only places plain HTTP is accepted.
    pub fn is_local_development_host(&self) -> bool {
        let host = self.host.to_ascii_lowercase();
        host == "localhost"
            || host == "[::1]"
            || host == "10.0.2.2"
            || host.strip_prefix("127.").is_some_and(|rest| {
                rest.split('.').count() == 3 && rest.split('.').all(|o| o.parse::<u8>().is_ok())
            })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_a_full_url() {
        let p = split("https://Example.com:8443/a/b?x=1&y=2#frag").unwrap();
        assert_eq!(p.scheme, "https");
        assert_eq!(p.host, "Example.com");
        assert_eq!(p.port, Some(8443));
        assert_eq!(p.path, "/a/b");
        assert_eq!(p.query, Some("x=1&y=2"));
        assert_eq!(p.fragment, Some("frag"));
    }

    #[test]
    fn custom_scheme_and_ipv6() {
        let p = split("myapp://callback").unwrap();
        assert_eq!(
            (p.scheme, p.host, p.path, p.effective_port()),
            ("myapp", "callback", "", None)
        );
        let p = split("http://[::1]:8080/cb").unwrap();
        assert_eq!((p.host, p.port), ("[::1]", Some(8080)));
        assert!(p.is_local_development_host());
    }

    #[test]
    fn refuses_odd_shapes() {
        for bad in [
            "no-scheme",
            "1http://x",
            "https://u@x/",
            "https://x:99999/",
            "https://x:/",
            "https://x:8a/",
            "https://[::1/",
            "https://x /",
            "https://x/\n",
        ] {
            assert!(split(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn endpoint_comparison() {
        let a = split("https://a.example/cb").unwrap();
        assert!(a
            .same_endpoint(&split("HTTPS://A.EXAMPLE:443/cb?x").unwrap())
            .is_ok());
        assert_eq!(
            a.same_endpoint(&split("http://a.example/cb").unwrap()),
            Err("scheme")
        );
        assert_eq!(
            a.same_endpoint(&split("https://b.example/cb").unwrap()),
            Err("host")
        );
        assert_eq!(
            a.same_endpoint(&split("https://a.example:444/cb").unwrap()),
            Err("port")
        );
        assert_eq!(
            a.same_endpoint(&split("https://a.example/cb/").unwrap()),
            Err("path")
        );
        assert!(split("https://h")
            .unwrap()
            .same_endpoint(&split("https://h/").unwrap())
            .is_ok());
    }

    #[test]
    fn local_development_hosts() {
        for h in [
            "http://127.0.0.1:1/",
            "http://127.9.8.7/",
            "http://localhost/",
            "http://10.0.2.2:8080/",
        ] {
            assert!(split(h).unwrap().is_local_development_host(), "{h}");
        }
        for h in [
            "http://127.0.0.1.evil.com/",
            "http://10.0.2.3/",
            "http://example.com/",
            "http://127.1/",
        ] {
            assert!(!split(h).unwrap().is_local_development_host(), "{h}");
        }
    }
}
