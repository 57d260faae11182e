//! Times as people write them: RFC 3339 in UTC for output; UNIX seconds, RFC 3339 or
//! "24h ago" style durations for input. Pure functions; `now` is passed in.

use crate::apns::civil_from_days;

/// A time that could not be read.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "{0:?} is not a time; use UNIX seconds (1764064800), RFC 3339 (2026-11-25T10:00:00Z, 2026-11-25) or a span back from now (90m, 24h, 7d)"
)]
pub struct TimeError(String);

/// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
fn days_from_civil(year: i64, month: i64, day: i64) -> i64 {
    let year = if month <= 2 { year - 1 } else { year };
    let era = year.div_euclid(400);
    let year_of_era = year - era * 400;
    let month_index = (month + 9) % 12;
    let day_of_year = (153 * month_index + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    era * 146_097 + day_of_era - 719_468
}

/// `ms` since the epoch as RFC 3339 in UTC with milliseconds: `2026-11-25T10:00:00.123Z`.
///
/// ```
/// use push_console::store::history::format_time;
/// assert_eq!(format_time(1_764_064_800_123), "2025-11-25T10:00:00.123Z");
/// ```
pub fn format_time(ms: i64) -> String {
    let seconds = ms.div_euclid(1000);
    let (year, month, day) = civil_from_days(seconds.div_euclid(86_400));
    let of_day = seconds.rem_euclid(86_400);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:03}Z",
        of_day / 3600,
        of_day % 3600 / 60,
        of_day % 60,
        ms.rem_euclid(1000)
    )
}

fn number(text: &str) -> Option<i64> {
    (!text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()))
        .then(|| text.parse().ok())
        .flatten()
}

fn parse_rfc3339(text: &str) -> Option<i64> {
    let (date, rest) = text.split_at_checked(10)?;
    let mut parts = date.split('-');
    let (year, month, day) = (
        number(parts.next()?)?,
        number(parts.next()?)?,
        number(parts.next()?)?,
    );
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) {
        return None;
    }
    let midnight = days_from_civil(year, month, day) * 86_400_000;
    if rest.is_empty() {
        return Some(midnight);
    }
    let rest = rest.strip_prefix(['T', 't', ' '])?;
    let (clock, offset_ms) = if let Some(clock) = rest.strip_suffix(['Z', 'z']) {
        (clock, 0)
    } else {
        let at = rest.rfind(['+', '-'])?;
        let (clock, offset) = rest.split_at(at);
        let sign = if offset.starts_with('-') { -1 } else { 1 };
        let (hours, minutes) = offset[1..].split_once(':')?;
        (
            clock,
            sign * (number(hours)? * 60 + number(minutes)?) * 60_000,
        )
    };
    let (clock, fraction) = clock.split_once('.').unwrap_or((clock, ""));
    let mut fields = clock.split(':');
    let (hour, minute, second) = (
        number(fields.next()?)?,
        number(fields.next()?)?,
        number(fields.next().unwrap_or("0"))?,
    );
    if fields.next().is_some() || hour > 23 || minute > 59 || second > 60 {
        return None;
    }
    let millis = if fraction.is_empty() {
        0
    } else {
        number(&format!("{:0<3}", &fraction[..fraction.len().min(3)]))?
    };
    Some(midnight + ((hour * 60 + minute) * 60 + second) * 1000 + millis - offset_ms)
}

/// Reads a time given on the command line, as ms since the epoch: UNIX seconds, RFC 3339
/// (a date alone means its midnight UTC), or a span back from `now_ms` such as `90m`,
/// `24h`, `7d`.
///
/// ```
/// use push_console::store::history::parse_time;
/// assert_eq!(parse_time("1764064800", 0), Ok(1_764_064_800_000));
/// assert_eq!(parse_time("2025-11-25T10:00:00Z", 0), Ok(1_764_064_800_000));
/// assert_eq!(parse_time("24h", 100_000_000), Ok(100_000_000 - 86_400_000));
/// ```
pub fn parse_time(text: &str, now_ms: i64) -> Result<i64, TimeError> {
    let text = text.trim();
    let error = || TimeError(text.to_owned());
    if let Some(seconds) = number(text) {
        return seconds.checked_mul(1000).ok_or_else(error);
    }
    let unit_ms = match text.chars().last() {
        Some('s') => Some(1_000),
        Some('m') => Some(60_000),
        Some('h') => Some(3_600_000),
        Some('d') => Some(86_400_000),
        Some('w') => Some(7 * 86_400_000),
        _ => None,
    };
    if let Some(unit_ms) = unit_ms
        && let Some(count) = number(&text[..text.len() - 1])
    {
        return Ok(now_ms - count.checked_mul(unit_ms).ok_or_else(error)?);
    }
    parse_rfc3339(text).ok_or_else(error)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_round_trip_across_eras_and_leap_days() {
        for ms in [
            0,
            951_782_400_000,
            1_709_208_000_000,
            4_102_444_799_999,
            -86_400_000,
        ] {
            assert_eq!(
                parse_time(&format_time(ms), 0),
                Ok(ms),
                "{}",
                format_time(ms)
            );
        }
        assert_eq!(format_time(951_782_400_000), "2000-02-29T00:00:00.000Z");
    }

    #[test]
    fn offsets_fractions_and_dates_alone_are_read() {
        assert_eq!(
            parse_time("2025-11-25T11:30:00.5+01:30", 0),
            Ok(1_764_064_800_500)
        );
        assert_eq!(parse_time("2025-11-25", 0), Ok(1_764_028_800_000));
        assert_eq!(parse_time("7d", 700_000_000), Ok(700_000_000 - 604_800_000));
        for bad in ["yesterday", "2025-13-01", "2025-11-25T25:00Z", "h", ""] {
            assert!(parse_time(bad, 0).is_err(), "{bad}");
        }
    }
}
