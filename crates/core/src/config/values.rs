//! Parsers for the value kinds of the config file: durations, provider base URLs,
//! E.164 numbers, and the display form of a database URL.

use std::fmt;
use std::net::IpAddr;
use std::time::Duration;

use url::{Host, Url};

use crate::redact::{mask_secret, sanitize_provider_text};

/// A duration written like `90s`, `5m`, `1h` or `1h 30m`; zero is refused.
/// The longest duration any key takes: a day (a typo like `"100000d"` is refused).
pub const LONGEST_DURATION: Duration = Duration::from_secs(24 * 3600);

pub fn parse_duration(text: &str) -> Result<Duration, String> {
    let quoted = quote(text);
    match humantime::parse_duration(text.trim()) {
        Ok(d) if d.is_zero() => Err(format!("{quoted} is zero; it must be longer")),
        Ok(d) if d > LONGEST_DURATION => Err(format!(
            "{quoted} is longer than 24h; no interval, threshold or margin needs more"
        )),
        Ok(d) => Ok(d),
        Err(e) => Err(format!(
            "{quoted} is not a duration ({})",
            sanitize_provider_text(&e.to_string())
        )),
    }
}

/// A duration as the config file writes it, e.g. `1m 30s`.
pub fn format_duration(duration: Duration) -> String {
    humantime::format_duration(duration).to_string()
}

/// A provider base URL: `https://`, or `http://` for a loopback host only; no
/// credentials, query or fragment. Kept without its trailing `/` so that
/// `base + "/v2/get-call"` keeps a fake server's path prefix (providers.md §0).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BaseUrl(String);

impl BaseUrl {
    pub fn parse(text: &str) -> Result<BaseUrl, String> {
        let quoted = quote(text);
        let url = Url::parse(text.trim()).map_err(|e| format!("{quoted} is not a URL ({e})"))?;
        match url.scheme() {
            "https" => {}
            "http" if is_loopback(&url) => {}
            "http" => {
                return Err(format!(
                    "{quoted} uses http:// for a host that is not loopback; only 127.0.0.1, ::1 and localhost may use http://"
                ));
            }
            other => return Err(format!("{quoted} has scheme {}, not https", quote(other))),
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err("the URL must not hold credentials (user:password@)".to_string());
        }
        if url.query().is_some() || url.fragment().is_some() {
            return Err(format!("{quoted} must not have a query or fragment"));
        }
        Ok(BaseUrl(url.as_str().trim_end_matches('/').to_string()))
    }

    /// A base URL known to be valid (the built-in defaults).
    pub(crate) fn from_default(text: &'static str) -> BaseUrl {
        BaseUrl(text.to_string())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether the URL points at this machine (a local fake, the demo).
    pub fn is_loopback(&self) -> bool {
        Url::parse(&self.0).is_ok_and(|u| is_loopback(&u))
    }
}

impl fmt::Display for BaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(Host::Domain(name)) => name.eq_ignore_ascii_case("localhost"),
        Some(Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
        Some(Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
        None => false,
    }
}

/// E.164: `+`, then 8 to 15 digits, the first not 0.
pub fn is_e164(text: &str) -> bool {
    let Some(digits) = text.strip_prefix('+') else {
        return false;
    };
    (8..=15).contains(&digits.len())
        && digits.bytes().all(|b| b.is_ascii_digit())
        && !digits.starts_with('0')
}

/// Schemes a database URL may use: PostgreSQL (the platform) or a SQLite file.
const DATABASE_SCHEMES: &[&str] = &["postgres", "postgresql", "sqlite"];

/// Checks a database URL's shape without ever echoing it (it may hold a password).
pub fn check_database_url(text: &str) -> Result<(), String> {
    let url = Url::parse(text.trim())
        .map_err(|e| format!("the database URL does not parse as a URL ({e})"))?;
    if DATABASE_SCHEMES.contains(&url.scheme()) {
        Ok(())
    } else {
        Err(format!(
            "the database URL has scheme {:?}; expected postgres:// or postgresql://",
            sanitize_provider_text(url.scheme())
        ))
    }
}

/// A database URL with its password (in the authority or a `password=` parameter)
/// replaced by `••••`; an unparsable URL is masked whole.
pub fn database_url_for_display(text: &str) -> String {
    let Ok(url) = Url::parse(text.trim()) else {
        return mask_secret(text);
    };
    let Some(host) = url.host_str() else {
        return format!("{}:{}", url.scheme(), url.path());
    };
    let mut shown = format!("{}://", url.scheme());
    if !url.username().is_empty() {
        shown.push_str(url.username());
        if url.password().is_some() {
            shown.push_str(":••••");
        }
        shown.push('@');
    }
    shown.push_str(host);
    if let Some(port) = url.port() {
        shown.push_str(&format!(":{port}"));
    }
    shown.push_str(url.path());
    let params: Vec<String> = url
        .query_pairs()
        .map(|(k, v)| {
            if k.eq_ignore_ascii_case("password") {
                format!("{k}=••••")
            } else {
                format!("{k}={v}")
            }
        })
        .collect();
    if !params.is_empty() {
        shown.push('?');
        shown.push_str(&params.join("&"));
    }
    sanitize_provider_text(&shown)
}

fn quote(text: &str) -> String {
    format!("{:?}", sanitize_provider_text(text))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations() {
        assert_eq!(parse_duration("90s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_duration("5m"), Ok(Duration::from_secs(300)));
        assert_eq!(parse_duration("1h"), Ok(Duration::from_secs(3600)));
        assert_eq!(parse_duration("1h 30m"), Ok(Duration::from_secs(5400)));
        assert_eq!(parse_duration("250ms"), Ok(Duration::from_millis(250)));
        for bad in ["", "5", "five minutes", "0s", "-5m", "5 parsecs"] {
            assert!(parse_duration(bad).is_err(), "{bad:?}");
        }
        assert_eq!(format_duration(Duration::from_secs(90)), "1m 30s");
    }

    #[test]
    fn base_urls() {
        let ok = BaseUrl::parse("https://api.retellai.com/").expect("https is fine");
        assert_eq!(ok.as_str(), "https://api.retellai.com");
        assert!(!ok.is_loopback());
        for local in [
            "http://127.0.0.1:8700/retell",
            "http://localhost:9000",
            "http://[::1]:80/x/",
        ] {
            let url = BaseUrl::parse(local).expect("loopback http is fine");
            assert!(url.is_loopback(), "{local}");
            assert!(!url.as_str().ends_with('/'));
        }
        for bad in [
            "http://api.retellai.com",
            "http://10.0.0.1",
            "ftp://127.0.0.1",
            "api.retellai.com",
            "https://user:pw@api.retellai.com",
            "https://api.retellai.com/?x=1",
        ] {
            assert!(BaseUrl::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn e164() {
        assert!(is_e164("+14155550199"));
        assert!(is_e164("+44123456"));
        for bad in [
            "14155550199",
            "+1415555",
            "+0123456789",
            "+1 415 555 0199",
            "+1234567890123456",
        ] {
            assert!(!is_e164(bad), "{bad}");
        }
    }

    #[test]
    fn database_url_display_hides_passwords() {
        let shown = database_url_for_display(
            "postgres://app:hunter2secret@db.example.com:6543/postgres?sslmode=require",
        );
        assert_eq!(
            shown,
            "postgres://app:••••@db.example.com:6543/postgres?sslmode=require"
        );
        let shown =
            database_url_for_display("postgresql://db.example.com/app?password=hunter2secret");
        assert!(!shown.contains("hunter2secret"), "{shown}");
        assert!(!database_url_for_display("not a url hunter2secret").contains("hunter2"));
    }

    #[test]
    fn database_url_check_never_echoes_the_url() {
        let err = check_database_url("mysql://u:hunter2secret@h/db").expect_err("wrong scheme");
        assert!(!err.contains("hunter2secret"));
        let err = check_database_url("hunter2secret").expect_err("not a URL");
        assert!(!err.contains("hunter2secret"));
        assert!(check_database_url("postgres://u:p@localhost:5432/db").is_ok());
    }
}
