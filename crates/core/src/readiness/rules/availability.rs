//! Validation of `calendar_availability`: `weekly_schedule` maps `monday`…`sunday` to
//! lists of `{start: "HH:MM", end: "HH:MM"}`, stored either as a JSON object or as a JSON
//! string holding one (the browser's form); `timezone` is an IANA name.

use std::collections::BTreeMap;

use chrono::NaiveTime;
use chrono_tz::Tz;
use serde_json::Value;

pub const WEEKDAYS: [&str; 7] = [
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
];

/// A validated schedule: weekday → its slots, sorted by start.
pub type WeeklySchedule = BTreeMap<String, Vec<(NaiveTime, NaiveTime)>>;

/// Checks the schedule and the time zone; the error names where the problem is.
/// On success, returns a one-line summary (days with hours, the zone).
pub fn validate_availability(schedule: &Value, timezone: &str) -> Result<String, String> {
    let zone = timezone.trim();
    if zone.parse::<Tz>().is_err() {
        return Err(format!(
            "timezone '{}' is not a valid IANA time zone",
            crate::redact::sanitize_provider_text(zone)
        ));
    }
    let parsed = parse_weekly_schedule(schedule)?;
    let open_days: Vec<&str> = WEEKDAYS
        .iter()
        .copied()
        .filter(|day| parsed.get(*day).is_some_and(|slots| !slots.is_empty()))
        .collect();
    if open_days.is_empty() {
        return Ok(format!("valid, but no day has any hours ({zone})"));
    }
    Ok(format!("valid: hours on {} ({zone})", open_days.join(", ")))
}

/// Parses either storage form into a validated schedule.
pub fn parse_weekly_schedule(schedule: &Value) -> Result<WeeklySchedule, String> {
    let object = match schedule {
        Value::Object(map) => map.clone(),
        Value::String(text) => match serde_json::from_str::<Value>(text) {
            Ok(Value::Object(map)) => map,
            Ok(_) => {
                return Err("weekly_schedule is a JSON string that does not hold an object".into());
            }
            Err(e) => {
                return Err(format!(
                    "weekly_schedule is a JSON string that does not parse at line {} column {}: {}",
                    e.line(),
                    e.column(),
                    e
                ));
            }
        },
        Value::Null => return Err("weekly_schedule is null".into()),
        _ => return Err("weekly_schedule is neither a JSON object nor a JSON string".into()),
    };
    let mut parsed = WeeklySchedule::new();
    for (day, slots) in &object {
        if !WEEKDAYS.contains(&day.as_str()) {
            return Err(format!(
                "weekly_schedule has an unknown day '{}' (expected lowercase monday…sunday)",
                crate::redact::sanitize_provider_text(day)
            ));
        }
        parsed.insert(day.clone(), parse_day(day, slots)?);
    }
    Ok(parsed)
}

fn parse_day(day: &str, slots: &Value) -> Result<Vec<(NaiveTime, NaiveTime)>, String> {
    let items = match slots {
        Value::Array(items) => items,
        Value::Null => return Ok(Vec::new()),
        _ => return Err(format!("weekly_schedule.{day} is not a list of slots")),
    };
    let mut parsed = Vec::with_capacity(items.len());
    for (index, slot) in items.iter().enumerate() {
        let at = format!("weekly_schedule.{day}[{index}]");
        let start = parse_time(slot, "start", &at)?;
        let end = parse_time(slot, "end", &at)?;
        if start >= end {
            return Err(format!(
                "{at}: start {} is not before end {}",
                start.format("%H:%M"),
                end.format("%H:%M")
            ));
        }
        parsed.push((start, end));
    }
    parsed.sort();
    for pair in parsed.windows(2) {
        let (earlier, later) = (pair[0], pair[1]);
        if later.0 < earlier.1 {
            return Err(format!(
                "weekly_schedule.{day}: slots {}–{} and {}–{} overlap",
                earlier.0.format("%H:%M"),
                earlier.1.format("%H:%M"),
                later.0.format("%H:%M"),
                later.1.format("%H:%M")
            ));
        }
    }
    Ok(parsed)
}

fn parse_time(slot: &Value, key: &str, at: &str) -> Result<NaiveTime, String> {
    let Some(value) = slot.get(key) else {
        return Err(format!("{at} has no {key}"));
    };
    let Some(text) = value.as_str() else {
        return Err(format!("{at}.{key} is not a string (expected \"HH:MM\")"));
    };
    parse_hhmm(text).ok_or_else(|| {
        format!(
            "{at}.{key} '{}' is not an HH:MM time",
            crate::redact::sanitize_provider_text(text)
        )
    })
}

/// Exactly `HH:MM`, 00:00–23:59.
fn parse_hhmm(text: &str) -> Option<NaiveTime> {
    let bytes = text.as_bytes();
    let well_formed = bytes.len() == 5
        && bytes[2] == b':'
        && [0, 1, 3, 4].iter().all(|i| bytes[*i].is_ascii_digit());
    if !well_formed {
        return None;
    }
    let hour: u32 = text[..2].parse().ok()?;
    let minute: u32 = text[3..].parse().ok()?;
    NaiveTime::from_hms_opt(hour, minute, 0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const NY: &str = "America/New_York";

    #[test]
    fn both_storage_forms_are_accepted() {
        let object = json!({"monday": [{"start": "09:00", "end": "17:00"}], "sunday": []});
        let string = Value::String(object.to_string());
        assert!(validate_availability(&object, NY).is_ok());
        assert!(validate_availability(&string, NY).is_ok());
        assert_eq!(
            parse_weekly_schedule(&object).unwrap(),
            parse_weekly_schedule(&string).unwrap()
        );
    }

    #[test]
    fn validation_table() {
        // (schedule, timezone, expected error fragment or None)
        let cases: Vec<(Value, &str, Option<&str>)> = vec![
            (
                json!({"monday": [{"start": "09:00", "end": "12:00"}, {"start": "12:00", "end": "17:00"}]}),
                NY,
                None,
            ),
            (
                json!({"friday": [{"start": "13:00", "end": "17:00"}, {"start": "08:00", "end": "12:00"}]}),
                NY,
                None,
            ),
            (json!({"monday": null}), NY, None),
            (json!({"Monday": []}), NY, Some("unknown day 'Monday'")),
            (json!({"mon": []}), NY, Some("unknown day 'mon'")),
            (
                json!({"monday": [{"start": "9:00", "end": "17:00"}]}),
                NY,
                Some("weekly_schedule.monday[0].start '9:00' is not an HH:MM"),
            ),
            (
                json!({"monday": [{"start": "09:00", "end": "24:00"}]}),
                NY,
                Some("end '24:00'"),
            ),
            (
                json!({"monday": [{"start": "09:60", "end": "17:00"}]}),
                NY,
                Some("'09:60'"),
            ),
            (
                json!({"monday": [{"start": 900, "end": "17:00"}]}),
                NY,
                Some("is not a string"),
            ),
            (
                json!({"monday": [{"start": "09:00"}]}),
                NY,
                Some("weekly_schedule.monday[0] has no end"),
            ),
            (
                json!({"monday": [{"start": "17:00", "end": "09:00"}]}),
                NY,
                Some("start 17:00 is not before end 09:00"),
            ),
            (
                json!({"monday": [{"start": "09:00", "end": "09:00"}]}),
                NY,
                Some("not before"),
            ),
            (
                json!({"tuesday": [{"start": "09:00", "end": "12:00"}, {"start": "11:30", "end": "13:00"}]}),
                NY,
                Some("overlap"),
            ),
            (
                json!({"monday": "09:00-17:00"}),
                NY,
                Some("weekly_schedule.monday is not a list"),
            ),
            (
                json!([1, 2]),
                NY,
                Some("neither a JSON object nor a JSON string"),
            ),
            (
                json!({"monday": []}),
                "Mars/Olympus",
                Some("timezone 'Mars/Olympus'"),
            ),
            (json!({"monday": []}), "", Some("timezone ''")),
            (
                Value::String("{\"monday\": [".into()),
                NY,
                Some("does not parse at line 1"),
            ),
            (
                Value::String("\"just text\"".into()),
                NY,
                Some("does not hold an object"),
            ),
        ];
        for (schedule, tz, want) in cases {
            let got = validate_availability(&schedule, tz);
            match want {
                None => assert!(got.is_ok(), "{schedule} {tz}: {got:?}"),
                Some(fragment) => {
                    let err = got.expect_err(&format!("{schedule} should fail"));
                    assert!(
                        err.contains(fragment),
                        "{schedule}: '{err}' lacks '{fragment}'"
                    );
                }
            }
        }
    }

    #[test]
    fn empty_schedule_is_valid_but_says_so() {
        let summary = validate_availability(&json!({"monday": []}), NY).unwrap();
        assert!(summary.contains("no day has any hours"));
    }
}
