//! What would make QQ's callback URL check fail, said before it happens.

use std::net::SocketAddr;

/// Ports QQ calls callback URLs on (bot-docs PR #250).
pub const ALLOWED_PORTS: [u16; 4] = [80, 443, 8080, 8443];

/// One line per setup problem, for stderr at startup.
///
/// - `addr`: where the receiver listens.
/// - `tls`: whether it serves HTTPS itself.
/// - `public`: whether QQ reaches this socket directly. Pass `false` when a reverse proxy or
///   tunnel terminates HTTPS in front of it (then the port and TLS rules apply to the proxy, and
///   only the reachability and timing notes remain). A sensible default is
///   `!addr.ip().is_loopback()`.
///
/// The last line is always the timing note: QQ's checker gives up quickly.
pub fn setup_warnings(addr: SocketAddr, tls: bool, public: bool) -> Vec<String> {
    let mut out = Vec::new();
    if public {
        if !ALLOWED_PORTS.contains(&addr.port()) {
            out.push(format!(
                "port {}: QQ only calls callback URLs on ports 80, 443, 8080 or 8443; \
                 listen on one of them or put a proxy on one in front",
                addr.port()
            ));
        }
        if !tls {
            out.push(
                "plain HTTP: QQ requires an HTTPS callback URL; pass a certificate and key, \
                 or terminate TLS in a reverse proxy (self-signed certificates reportedly fail)"
                    .to_owned(),
            );
        }
        if addr.ip().is_loopback() {
            out.push(format!(
                "{addr} is a loopback address: QQ cannot reach it; listen on 0.0.0.0 or \
                 forward a public HTTPS endpoint to it"
            ));
        }
    } else if addr.ip().is_loopback() {
        out.push(format!(
            "{addr} is only reachable from this machine: QQ needs a public HTTPS URL on port \
             80, 443, 8080 or 8443 that forwards here (tunnels are often refused by QQ's checker)"
        ));
    }
    out.push(
        "QQ's URL check needs the op 13 answer fast (reportedly within about 100 ms): \
         keep proxies and tunnels in front of this receiver quick"
            .to_owned(),
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addr(s: &str) -> SocketAddr {
        s.parse().unwrap()
    }

    #[test]
    fn public_https_on_an_allowed_port_only_gets_the_timing_note() {
        for port in ALLOWED_PORTS {
            let w = setup_warnings(addr(&format!("0.0.0.0:{port}")), true, true);
            assert_eq!(w.len(), 1, "{w:?}");
            assert!(w[0].contains("100 ms"), "{w:?}");
        }
    }

    #[test]
    fn public_plain_http_on_a_bad_port_gets_both_warnings() {
        let w = setup_warnings(addr("0.0.0.0:9000"), false, true);
        assert!(w.iter().any(|l| l.starts_with("port 9000")), "{w:?}");
        assert!(w.iter().any(|l| l.starts_with("plain HTTP")), "{w:?}");
        assert!(!w.iter().any(|l| l.contains("loopback")), "{w:?}");
    }

    #[test]
    fn loopback_behind_a_proxy_only_mentions_reachability() {
        let w = setup_warnings(addr("127.0.0.1:9000"), false, false);
        assert_eq!(w.len(), 2, "{w:?}");
        assert!(w[0].contains("only reachable from this machine"), "{w:?}");
        let w = setup_warnings(addr("127.0.0.1:443"), true, true);
        assert!(w.iter().any(|l| l.contains("loopback")), "{w:?}");
    }
}
