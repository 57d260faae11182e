//! Times as people read and write them, with `jiff`: RFC 3339 in UTC for files and scripts,
//! the user's time zone on screen; UNIX seconds, RFC 3339, a date or date and time in the
//! user's zone, or a span back from now ("24h", "7d", "90m") for input. `now` is passed in.

use jiff::civil::{Date, DateTime};
use jiff::tz::TimeZone;
use jiff::{Span, Timestamp};

/// A time that could not be read.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "{0:?} is not a time; use UNIX seconds (1764064800), RFC 3339 (2026-11-25T10:00:00Z), a date or date and time in your time zone (2026-11-25, 2026-11-25 10:00) or a span back from now (90m, 24h, 7d)"
)]
pub struct TimeError(String);

fn timestamp(ms: i64) -> Option<Timestamp> {
    Timestamp::from_millisecond(ms).ok()
}

/// `ms` since the epoch as RFC 3339 in UTC with milliseconds: `2026-11-25T10:00:00.123Z`,
/// as exports and scripts read it.
///
/// ```
/// use push_console::store::history::format_time;
/// assert_eq!(format_time(1_764_064_800_123), "2025-11-25T10:00:00.123Z");
/// ```
pub fn format_time(ms: i64) -> String {
    timestamp(ms).map_or_else(|| format!("{ms} ms"), |at| format!("{at:.3}"))
}

/// `ms` since the epoch in time zone `zone`, as people read it: `2026-11-25 11:00:00.123 CET`.
///
/// ```
/// use push_console::store::history::format_time_in;
/// let zone = jiff::tz::TimeZone::get("Europe/Paris").unwrap();
/// assert_eq!(format_time_in(1_764_064_800_123, &zone), "2025-11-25 11:00:00.123 CET");
/// ```
pub fn format_time_in(ms: i64, zone: &TimeZone) -> String {
    timestamp(ms).map_or_else(
        || format!("{ms} ms"),
        |at| {
            at.to_zoned_datetime(zone.clone())
                .strftime("%Y-%m-%d %H:%M:%S%.3f %Z")
                .to_string()
        },
    )
}

/// `ms` since the epoch in this computer's time zone.
pub fn format_local_time(ms: i64) -> String {
    format_time_in(ms, &TimeZone::system())
}

fn number(text: &str) -> Option<i64> {
    (!text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()))
        .then(|| text.parse().ok())
        .flatten()
}

/// Reads a time, as ms since the epoch: UNIX seconds; RFC 3339 with its offset; a date
/// (its midnight) or a date and time without an offset, in `zone`; or a span back from
/// `now_ms` such as `90m`, `24h`, `7d`, `2w` or `1 day 6 hours`.
///
/// ```
/// use jiff::tz::TimeZone;
/// use push_console::store::history::parse_time_in;
/// assert_eq!(parse_time_in("1764064800", 0, &TimeZone::UTC), Ok(1_764_064_800_000));
/// assert_eq!(parse_time_in("2025-11-25T10:00:00Z", 0, &TimeZone::UTC), Ok(1_764_064_800_000));
/// assert_eq!(parse_time_in("24h", 100_000_000, &TimeZone::UTC), Ok(100_000_000 - 86_400_000));
/// ```
pub fn parse_time_in(text: &str, now_ms: i64, zone: &TimeZone) -> Result<i64, TimeError> {
    let text = text.trim();
    let error = || TimeError(text.to_owned());
    if let Some(seconds) = number(text) {
        return seconds.checked_mul(1000).ok_or_else(error);
    }
    if let Ok(at) = text.parse::<Timestamp>() {
        return Ok(at.as_millisecond());
    }
    let civil = text
        .parse::<DateTime>()
        .or_else(|_| text.parse::<Date>().map(|date| date.at(0, 0, 0, 0)));
    if let Ok(civil) = civil {
        return civil
            .to_zoned_datetime(zone.clone())
            .map(|zoned| zoned.timestamp().as_millisecond())
            .map_err(|_| error());
    }
    let span = text.parse::<Span>().map_err(|_| error())?;
    // A span back from now: "7d" is seven calendar days in `zone` (a day may be 23 or 25
    // hours across a daylight saving change), and a negative span is not "back".
    if span.is_negative() {
        return Err(error());
    }
    timestamp(now_ms)
        .ok_or_else(error)?
        .to_zoned_datetime(zone.clone())
        .checked_sub(span)
        .map(|zoned| zoned.timestamp().as_millisecond())
        .map_err(|_| error())
}

/// [`parse_time_in`] this computer's time zone.
pub fn parse_time(text: &str, now_ms: i64) -> Result<i64, TimeError> {
    parse_time_in(text, now_ms, &TimeZone::system())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utc_times_round_trip_across_eras_and_leap_days() {
        for ms in [
            0,
            951_782_400_000,
            1_709_208_000_000,
            4_102_444_799_999,
            -86_400_000,
        ] {
            assert_eq!(
                parse_time_in(&format_time(ms), 0, &TimeZone::UTC),
                Ok(ms),
                "{}",
                format_time(ms)
            );
        }
        assert_eq!(format_time(951_782_400_000), "2000-02-29T00:00:00.000Z");
    }

    #[test]
    fn offsets_fractions_zones_and_spans_are_read() {
        let utc = TimeZone::UTC;
        assert_eq!(
            parse_time_in("2025-11-25T11:30:00.5+01:30", 0, &utc),
            Ok(1_764_064_800_500)
        );
        assert_eq!(parse_time_in("2025-11-25", 0, &utc), Ok(1_764_028_800_000));
        let tokyo = TimeZone::get("Asia/Tokyo").unwrap();
        assert_eq!(
            parse_time_in("2025-11-25 19:00", 0, &tokyo),
            Ok(1_764_064_800_000),
            "a time without an offset is the user's"
        );
        assert_eq!(
            parse_time_in("7d", 700_000_000, &utc),
            Ok(700_000_000 - 604_800_000)
        );
        assert_eq!(
            parse_time_in("90m", 10_000_000, &utc),
            Ok(10_000_000 - 5_400_000)
        );
        for bad in [
            "yesterday",
            "2025-13-01",
            "2025-11-25T25:00Z",
            "h",
            "",
            "-2h",
        ] {
            assert!(parse_time_in(bad, 0, &utc).is_err(), "{bad}");
        }
    }

    #[test]
    fn local_times_name_their_zone() {
        let paris = TimeZone::get("Europe/Paris").unwrap();
        assert_eq!(
            format_time_in(1_751_536_800_000, &paris),
            "2025-07-03 12:00:00.000 CEST"
        );
    }
}
