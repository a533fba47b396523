//! Times and numbers written for a person in France, beyond what `fc_plumbing::french` offers
//! (identity values, dates, whole euros): "3 mars 2025 à 14:03:12" in Paris time, "2,5",
//! "1 250,40 €".
//!
//! Pages never show a raw ISO 8601 UTC timestamp: the user reads their own clock, with seconds
//! (the journal's exchanges are often seconds apart). Paris time follows the European summer-time
//! rule (last Sunday of March to last Sunday of October, at 01:00 UTC), which is all a demo needs
//! without a time-zone database.

use chrono::{DateTime, Datelike, NaiveDate, Timelike, Utc};

/// Between groups of three digits, as `fc_plumbing::french::euros` writes them.
const GROUP: char = '\u{202f}';
/// Before a unit.
const NBSP: char = '\u{a0}';

/// A Unix time as "3 mars 2025 à 14:03:12", in Paris time.
pub fn date_time(unix_seconds: i64) -> Option<String> {
    let utc = DateTime::<Utc>::from_timestamp(unix_seconds, 0)?;
    let paris = utc + chrono::Duration::hours(paris_offset_hours(&utc));
    let day = fc_plumbing::french::date(&paris.format("%Y-%m-%d").to_string());
    Some(format!(
        "{day} à {:02}:{:02}:{:02}",
        paris.hour(),
        paris.minute(),
        paris.second()
    ))
}

/// An RFC 3339 timestamp (the journal's, the data provider's) as [`date_time`] writes it; the
/// text itself when it is not one.
pub fn rfc3339(text: &str) -> String {
    DateTime::parse_from_rfc3339(text)
        .ok()
        .and_then(|t| date_time(t.timestamp()))
        .unwrap_or_else(|| text.to_owned())
}

/// `millis` since the epoch as RFC 3339, UTC, milliseconds: the machine form the journal's JSON
/// keeps (pages write it with [`rfc3339`]).
pub fn utc_timestamp(millis: i64) -> String {
    DateTime::<Utc>::from_timestamp_millis(millis)
        .unwrap_or_default()
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// Hours Paris is ahead of UTC at `utc`: 2 in summer time, else 1.
fn paris_offset_hours(utc: &DateTime<Utc>) -> i64 {
    let year = utc.year();
    let switch = |month: u32| {
        let last = NaiveDate::from_ymd_opt(year, month, 31)?;
        let sunday = last - chrono::Duration::days(last.weekday().num_days_from_sunday().into());
        Some(sunday.and_hms_opt(1, 0, 0)?.and_utc())
    };
    match (switch(3), switch(10)) {
        (Some(start), Some(end)) if *utc >= start && *utc < end => 2,
        _ => 1,
    }
}

/// A number with a decimal comma, at most two decimals, none when whole: "2", "2,5",
/// "1 250,4".
pub fn number(value: f64) -> String {
    // Demo amounts are far below the range where an f64 loses cents.
    let cents = (value * 100.0).round() as i64;
    let (whole, fraction) = (cents / 100, (cents % 100).abs());
    let digits = whole.unsigned_abs().to_string();
    let mut out = String::from(if cents < 0 { "-" } else { "" });
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(GROUP);
        }
        out.push(c);
    }
    match fraction {
        0 => {}
        f if f % 10 == 0 => out.push_str(&format!(",{}", f / 10)),
        f => out.push_str(&format!(",{f:02}")),
    }
    out
}

/// An amount in euros: whole as `fc_plumbing::french::euros` writes it ("42 000 €"), with two
/// decimals when there are cents ("1 250,40 €").
pub fn euros(value: f64) -> String {
    let text = number(value);
    match text.split_once(',') {
        Some((whole, cents)) if cents.len() == 1 => format!("{whole},{cents}0{NBSP}€"),
        _ => format!("{text}{NBSP}€"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_paris_times_summer_and_winter() {
        // 2025-01-15T12:00:00Z: winter, UTC+1.
        assert_eq!(
            date_time(1_736_942_400).as_deref(),
            Some("15 janvier 2025 à 13:00:00")
        );
        // 2025-07-14T12:00:00Z: summer, UTC+2.
        assert_eq!(
            date_time(1_752_494_400).as_deref(),
            Some("14 juillet 2025 à 14:00:00")
        );
        // Summer time starts on 2025-03-30 at 01:00 UTC.
        assert_eq!(
            date_time(1_743_296_399).as_deref(),
            Some("30 mars 2025 à 01:59:59")
        );
        assert_eq!(
            date_time(1_743_296_400).as_deref(),
            Some("30 mars 2025 à 03:00:00")
        );
        assert_eq!(
            rfc3339("2025-07-14T12:00:00.123Z"),
            "14 juillet 2025 à 14:00:00"
        );
        assert_eq!(rfc3339("not a date"), "not a date");
        assert_eq!(utc_timestamp(1_752_494_400_123), "2025-07-14T12:00:00.123Z");
    }

    #[test]
    fn numbers_and_amounts_use_french_separators() {
        assert_eq!(number(2.0), "2");
        assert_eq!(number(2.5), "2,5");
        assert_eq!(number(1250.4), "1\u{202f}250,4");
        assert_eq!(number(-1_234_567.0), "-1\u{202f}234\u{202f}567");
        assert_eq!(euros(42_000.0), fc_plumbing::french::euros(42_000));
        assert_eq!(euros(1250.4), "1\u{202f}250,40\u{a0}€");
        assert_eq!(euros(0.05), "0,05\u{a0}€");
    }
}
