//! URLs as the core accepts them: parsed by the `url` crate (WHATWG), then held to a stricter policy.
//!
//! WHATWG parsing is forgiving on purpose: it strips tabs and newlines, reads `\` as `/` in http(s),
//! decodes a percent-encoded host, expands `127.1` to `127.0.0.1`, resolves `/a/../b`, and drops a
//! default port. A browser needs that; a login callback does not. DingTalk redirects to exactly the
//! URI the app registered, so the core only takes URLs that are already written the way the parser
//! would write them, apart from two spellings that mean the same thing to everyone: the ASCII case of
//! the scheme and host, and an explicit default port (`https://host:443/`). Everything else that
//! normalisation would change is refused, so a naive comparison and the WHATWG one can never disagree.
//!
//! With `idna_adapter` pinned to its ASCII-only 1.0 line (see `core/Cargo.toml`), hosts must be ASCII
//! or already punycode (`xn--…`).

use std::net::Ipv4Addr;

use url::{Host, Url};

/// Why a URL was refused: a short phrase, safe to show (it never quotes the URL).
pub(crate) type Refusal = &'static str;

/// Parses `input` with the WHATWG parser and checks the policy of this module.
pub(crate) fn parse(input: &str) -> Result<Url, Refusal> {
    if input.bytes().any(|b| b <= b' ' || b == 0x7f) {
        return Err("contains whitespace or control characters");
    }
    if input.contains('\\') {
        return Err("contains a backslash");
    }
    // `scheme://` must be spelled out: WHATWG also reads `http:host` as `http://host`. Only then is the
    // authority as written (after it, up to the path, query or fragment) the one the parser reads.
    let colon = input.find(':').ok_or("no `scheme://`")?;
    let scheme_ok = input[..colon].bytes().enumerate().all(|(i, b)| {
        b.is_ascii_alphabetic()
            || (i > 0 && (b.is_ascii_digit() || matches!(b, b'+' | b'-' | b'.')))
    });
    if colon == 0 || !scheme_ok || !input[colon..].starts_with("://") {
        return Err("no `scheme://`");
    }
    let authority_start = colon + 3;
    let authority_end = input[authority_start..]
        .find(['/', '?', '#'])
        .map_or(input.len(), |i| authority_start + i);
    let authority = &input[authority_start..authority_end];
    // ASCII-only host names (see the module documentation), checked before the parser sees them; and
    // the parser gets the authority in lower case, which is how it would end up for http(s) anyway
    // (the ASCII-only IDNA adapter expects lower-case input).
    if !authority.is_ascii() {
        return Err("the host is not ASCII or punycode");
    }
    // For the schemes whose hosts go through IDNA, nothing the parser would rewrite on the way there:
    // an empty authority (`http:////host` skips slashes) or percent-encoding (`%41` is `A`).
    let special = matches!(
        input[..colon].to_ascii_lowercase().as_str(),
        "http" | "https" | "ws" | "wss" | "ftp" | "file"
    );
    if special && (authority.is_empty() || authority.contains('%')) {
        return Err(
            "the host is not in canonical form (percent-encoding, IP shorthand or trailing text)",
        );
    }
    let lowered;
    let to_parse = if authority.bytes().any(|b| b.is_ascii_uppercase()) {
        lowered = format!(
            "{}{}{}",
            &input[..authority_start],
            authority.to_ascii_lowercase(),
            &input[authority_end..]
        );
        lowered.as_str()
    } else {
        input
    };
    let url = Url::parse(to_parse).map_err(|e| match e {
        url::ParseError::RelativeUrlWithoutBase => "no `scheme://`",
        url::ParseError::InvalidPort => "bad port",
        url::ParseError::EmptyHost => "no host",
        url::ParseError::IdnaError => "the host is not ASCII or punycode",
        _ => "not a URL",
    })?;
    let tail = &input[authority_end..];
    if authority.contains('@') || !url.username().is_empty() || url.password().is_some() {
        return Err("user info is not allowed");
    }
    check_authority(&url, authority)?;
    let path = &tail[..tail.find(['?', '#']).unwrap_or(tail.len())];
    if path != url.path() && !(path.is_empty() && url.path() == "/") {
        return Err("the path is not in canonical form (dot segments or characters to encode)");
    }
    Ok(url)
}

/// The host and port as written must be the host and port the parser read.
fn check_authority(url: &Url, authority: &str) -> Result<(), Refusal> {
    let (host, port) = match authority.strip_prefix('[') {
        Some(v6) => {
            let close = v6.find(']').ok_or("unclosed IPv6 literal")?;
            (&authority[..close + 2], &v6[close + 1..])
        }
        None => match authority.rfind(':') {
            Some(i) => authority.split_at(i),
            None => (authority, ""),
        },
    };
    if !host.eq_ignore_ascii_case(url.host_str().unwrap_or_default()) {
        return Err(
            "the host is not in canonical form (percent-encoding, IP shorthand or trailing text)",
        );
    }
    match port.strip_prefix(':') {
        None if port.is_empty() => Ok(()),
        // `url` drops a default port; an explicit one must name the same port, written plainly.
        Some(p)
            if url
                .port_or_known_default()
                .map(|n| n.to_string())
                .as_deref()
                == Some(p) =>
        {
            Ok(())
        }
        _ => Err("bad port"),
    }
}

/// Compares scheme, host, port and path; returns the name of the first part that differs.
pub(crate) fn same_endpoint(want: &Url, got: &Url) -> Result<(), &'static str> {
    if want.scheme() != got.scheme() {
        return Err("scheme");
    }
    // http(s) hosts are lower-cased by the parser; a custom scheme's host is kept as written.
    let host = |u: &Url| u.host_str().unwrap_or_default().to_ascii_lowercase();
    if host(want) != host(got) {
        return Err("host");
    }
    if want.port_or_known_default() != got.port_or_known_default() {
        return Err("port");
    }
    if want.path() != got.path() {
        return Err("path");
    }
    Ok(())
}

/// http or https.
pub(crate) fn is_http(url: &Url) -> bool {
    matches!(url.scheme(), "http" | "https")
}

/// Loopback (127.0.0.0/8, ::1, localhost) or the Android emulator's alias of the host, 10.0.2.2:
/// the only places plain HTTP is accepted.
pub(crate) fn is_local_development_host(url: &Url) -> bool {
    match url.host() {
        Some(Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        Some(Host::Ipv4(ip)) => ip.is_loopback() || ip == Ipv4Addr::new(10, 0, 2, 2),
        Some(Host::Ipv6(ip)) => ip.is_loopback(),
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Whatever is accepted is already canonical: its serialisation reads back as the same URL and
        /// names the same endpoint, so comparing endpoints can never depend on normalisation.
        #[test]
        fn accepted_urls_are_fixed_points(s in "[a-zA-Z]{1,6}://[a-zA-Z0-9.%@:\\[\\]-]{0,20}(/[a-zA-Z0-9.%~!$&'()*+,;=:@-]{0,8}){0,3}(\\?[a-z=&%0-9]{0,10})?") {
            if let Ok(u) = parse(&s) {
                let again = parse(u.as_str());
                prop_assert_eq!(again.as_ref(), Ok(&u), "{} -> {}", s, u.as_str());
                prop_assert_eq!(same_endpoint(&u, &again.unwrap()), Ok(()));
            }
        }

        #[test]
        fn never_panics(s in "\\PC{0,120}") {
            let _ = parse(&s);
        }
    }

    #[test]
    fn reads_a_full_url() {
        let u = parse("https://Example.com:8443/a/b?x=1&y=2#frag").unwrap();
        assert_eq!(
            (u.scheme(), u.host_str(), u.port(), u.path()),
            ("https", Some("example.com"), Some(8443), "/a/b")
        );
        assert_eq!((u.query(), u.fragment()), (Some("x=1&y=2"), Some("frag")));
        let u = parse("myapp://callback").unwrap();
        assert_eq!(
            (u.scheme(), u.host_str(), u.path()),
            ("myapp", Some("callback"), "")
        );
        let u = parse("http://[::1]:8080/cb").unwrap();
        assert_eq!((u.host_str(), u.port()), (Some("[::1]"), Some(8080)));
        assert!(is_local_development_host(&u));
    }

    /// Where WHATWG normalisation and a naive comparison could disagree, each decided on purpose.
    #[test]
    fn normalisation_cases() {
        let accepted = [
            // The ASCII case of scheme and host means nothing.
            ("HTTPS://APP.Example/cb", "https://app.example/cb"),
            // An explicit default port is the default port.
            ("https://app.example:443/cb", "https://app.example/cb"),
            ("http://127.0.0.1:80/cb", "http://127.0.0.1/cb"),
            // An empty http(s) path is "/".
            ("https://app.example", "https://app.example/"),
            ("http://[::1]/cb", "http://[::1]/cb"),
            (
                "https://xn--bcher-kva.example/cb",
                "https://xn--bcher-kva.example/cb",
            ),
        ];
        for (input, serialised) in accepted {
            assert_eq!(
                parse(input).map(String::from),
                Ok(serialised.into()),
                "{input}"
            );
        }
        let refused = [
            // WHATWG would strip these characters silently.
            ("https://app.exa\tmple/cb", "contains whitespace or control characters"),
            ("https://app.example/c\nb", "contains whitespace or control characters"),
            ("https://app.example/cb ", "contains whitespace or control characters"),
            // WHATWG reads `\` as `/` in http(s).
            ("https:\\\\app.example\\cb", "contains a backslash"),
            ("https://app.example\\cb", "contains a backslash"),
            // Hosts WHATWG would rewrite.
            ("https://app%2Eexample/cb", "the host is not in canonical form (percent-encoding, IP shorthand or trailing text)"),
            ("http://127.1/cb", "the host is not in canonical form (percent-encoding, IP shorthand or trailing text)"),
            ("http://0x7f.0.0.1/cb", "the host is not in canonical form (percent-encoding, IP shorthand or trailing text)"),
            ("http://[0:0::1]/cb", "the host is not in canonical form (percent-encoding, IP shorthand or trailing text)"),
            ("https:///app.example/cb", "the host is not in canonical form (percent-encoding, IP shorthand or trailing text)"),
            // Not ASCII and not punycode (idna_adapter 1.0 has no Unicode tables).
            ("https://bücher.example/cb", "the host is not ASCII or punycode"),
            ("myapp://登录/cb", "the host is not ASCII or punycode"),
            // Found by the fuzzer: upper case beside non-ASCII used to reach the IDNA adapter's
            // lower-case-only path (a debug assertion there), with or without the slashes.
            ("http://BѧBoѧB/a", "the host is not ASCII or punycode"),
            ("http:A2b6ppEEEů:/ƍůASr>/", "no `scheme://`"),
            ("http:////rpSFFԬA!", "the host is not in canonical form (percent-encoding, IP shorthand or trailing text)"),
            ("http://%41.example/", "the host is not in canonical form (percent-encoding, IP shorthand or trailing text)"),
            // Ports.
            ("https://app.example:0443/cb", "bad port"),
            ("https://app.example:/cb", "bad port"),
            ("https://app.example:99999/cb", "bad port"),
            ("https://app.example:8a/cb", "bad port"),
            // Paths WHATWG would resolve or encode.
            ("https://app.example/a/../cb", "the path is not in canonical form (dot segments or characters to encode)"),
            ("https://app.example/./cb", "the path is not in canonical form (dot segments or characters to encode)"),
            ("https://app.example/%2e%2e/cb", "the path is not in canonical form (dot segments or characters to encode)"),
            ("https://app.example/ü", "the path is not in canonical form (dot segments or characters to encode)"),
            // User info hides the real host from a naive reader.
            ("https://user@app.example/cb", "user info is not allowed"),
            ("https://user:pw@app.example/cb", "user info is not allowed"),
            ("https://@app.example/cb", "user info is not allowed"),
            // Shapes that are not `scheme://authority…`.
            ("app.example/cb", "no `scheme://`"),
            ("myapp:callback", "no `scheme://`"),
            ("https:app.example/cb", "no `scheme://`"),
            ("https://[::1/cb", "not a URL"),
        ];
        for (input, why) in refused {
            assert_eq!(parse(input), Err(why), "{input:?}");
        }
    }

    #[test]
    fn a_trailing_dot_is_another_host() {
        // WHATWG keeps the dot; DNS would not care, but DingTalk redirects to the URI as registered.
        let want = parse("https://app.example/cb").unwrap();
        let got = parse("https://app.example./cb").unwrap();
        assert_eq!(same_endpoint(&want, &got), Err("host"));
    }

    #[test]
    fn endpoint_comparison() {
        let a = parse("https://a.example/cb").unwrap();
        let cmp = |s: &str| same_endpoint(&a, &parse(s).unwrap());
        assert_eq!(cmp("HTTPS://A.EXAMPLE:443/cb?x"), Ok(()));
        assert_eq!(cmp("http://a.example/cb"), Err("scheme"));
        assert_eq!(cmp("https://b.example/cb"), Err("host"));
        assert_eq!(cmp("https://a.example:444/cb"), Err("port"));
        assert_eq!(cmp("https://a.example/cb/"), Err("path"));
        assert_eq!(cmp("https://a.example/CB"), Err("path"));
        let custom = parse("myapp://Login/cb").unwrap();
        assert_eq!(
            same_endpoint(&custom, &parse("MYAPP://login/cb").unwrap()),
            Ok(())
        );
        assert_eq!(
            same_endpoint(&parse("https://h").unwrap(), &parse("https://h/").unwrap()),
            Ok(())
        );
    }

    #[test]
    fn local_development_hosts() {
        for h in [
            "http://127.0.0.1:1/",
            "http://127.9.8.7/",
            "http://localhost/",
            "http://LOCALHOST/",
            "http://10.0.2.2:8080/",
            "http://[::1]/",
        ] {
            assert!(is_local_development_host(&parse(h).unwrap()), "{h}");
        }
        for h in [
            "http://127.0.0.1.evil.com/",
            "http://10.0.2.3/",
            "http://example.com/",
            "http://localhost.example/",
            "http://[::2]/",
        ] {
            assert!(!is_local_development_host(&parse(h).unwrap()), "{h}");
        }
    }
}
