//! The longest interval between rotations that a Secrets Manager `ScheduleExpression` allows:
//! `rate(N days)`, `rate(N hours)`, or an AWS cron expression (`cron(min hour dom month dow
//! year)`). Cron schedules are expanded day by day over four years (leap days included) and the
//! widest gap between two rotation days is the interval. Anything this cannot read exactly
//! (`W`, `#`, `L` in day-of-week, a bounded year) is an error, never a guess.

use time::{Date, Duration, Month, Weekday};

/// The longest number of days between two rotations under `expression`.
pub(crate) fn interval_days(expression: &str) -> Result<i64, String> {
    let text = expression.trim();
    if let Some(inner) = text.strip_prefix("rate(").and_then(|t| t.strip_suffix(')')) {
        return rate_days(inner).ok_or_else(|| format!("`{text}` is not a rate(N days|hours)"));
    }
    if let Some(inner) = text.strip_prefix("cron(").and_then(|t| t.strip_suffix(')')) {
        return cron_days(inner).map_err(|why| format!("`{text}`: {why}"));
    }
    Err(format!("`{text}` is neither rate(...) nor cron(...)"))
}

fn rate_days(inner: &str) -> Option<i64> {
    let (count, unit) = inner.trim().split_once(' ')?;
    let count: i64 = count.parse().ok().filter(|n| *n > 0)?;
    match unit.trim() {
        "day" | "days" => Some(count),
        // A rotation every few hours happens at least daily.
        "hour" | "hours" => Some((count + 23) / 24),
        _ => None,
    }
}

/// The days of a field as a set of allowed values in `low..=high`; `None` for `*` / `?`.
fn field(text: &str, low: u32, high: u32, names: &[&str]) -> Result<Option<Vec<bool>>, String> {
    if text == "*" || text == "?" {
        return Ok(None);
    }
    let value = |part: &str| -> Result<u32, String> {
        if let Some(i) = names.iter().position(|n| n.eq_ignore_ascii_case(part)) {
            return Ok(low + u32::try_from(i).unwrap_or(0));
        }
        part.parse::<u32>()
            .ok()
            .filter(|v| (low..=high).contains(v))
            .ok_or_else(|| format!("`{part}` is not a value from {low} to {high}"))
    };
    let mut allowed = vec![false; usize::try_from(high + 1).unwrap_or(0)];
    for item in text.split(',') {
        let (range, step) = match item.split_once('/') {
            Some((r, s)) => (
                r,
                s.parse::<u32>()
                    .ok()
                    .filter(|s| *s > 0)
                    .ok_or_else(|| format!("`{item}` has no valid step"))?,
            ),
            None => (item, 1),
        };
        let (from, to) = match range {
            "*" => (low, high),
            _ => match range.split_once('-') {
                Some((a, b)) => (value(a)?, value(b)?),
                None if item.contains('/') => (value(range)?, high),
                None => {
                    let v = value(range)?;
                    (v, v)
                }
            },
        };
        if from > to {
            return Err(format!("`{item}` is a range that wraps around"));
        }
        for v in (from..=to).step_by(usize::try_from(step).unwrap_or(1)) {
            allowed[usize::try_from(v).unwrap_or(0)] = true;
        }
    }
    Ok(Some(allowed))
}

fn cron_days(inner: &str) -> Result<i64, String> {
    let fields: Vec<&str> = inner.split_whitespace().collect();
    let [_minutes, _hours, dom, month, dow, year] = fields.as_slice() else {
        return Err("a cron expression has six fields".into());
    };
    if *year != "*" {
        return Err("a bounded year stops rotation; it has no interval".into());
    }
    let last_day = *dom == "L";
    let days_of_month = if last_day {
        None
    } else {
        field(dom, 1, 31, &[])?
    };
    let months = field(
        month,
        1,
        12,
        &[
            "JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC",
        ],
    )?;
    let weekdays = field(
        dow,
        1,
        7,
        &["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"],
    )?;
    let start = Date::from_calendar_date(2028, Month::January, 1).map_err(|e| e.to_string())?;
    let end = Date::from_calendar_date(2032, Month::January, 1).map_err(|e| e.to_string())?;
    let matches = |d: Date| {
        let pick = |set: &Option<Vec<bool>>, v: u8| {
            set.as_ref()
                .is_none_or(|s| s.get(usize::from(v)).copied().unwrap_or(false))
        };
        let weekday = match d.weekday() {
            Weekday::Sunday => 1,
            Weekday::Monday => 2,
            Weekday::Tuesday => 3,
            Weekday::Wednesday => 4,
            Weekday::Thursday => 5,
            Weekday::Friday => 6,
            Weekday::Saturday => 7,
        };
        let last_ok = !last_day || (d + Duration::days(1)).month() != d.month();
        last_ok
            && pick(&days_of_month, d.day())
            && pick(&months, u8::from(d.month()))
            && pick(&weekdays, weekday)
    };
    let (mut first, mut previous, mut widest): (Option<Date>, Option<Date>, i64) = (None, None, 0);
    let mut day = start;
    while day < end {
        if matches(day) {
            if let Some(p) = previous {
                widest = widest.max((day - p).whole_days());
            }
            first.get_or_insert(day);
            previous = Some(day);
        }
        day += Duration::days(1);
    }
    let (Some(first), Some(last)) = (first, previous) else {
        return Err("the schedule never fires".into());
    };
    // The gap from the last rotation of the window to the first of the next one.
    widest = widest.max((first + Duration::days((end - start).whole_days()) - last).whole_days());
    Ok(widest.max(1))
}

#[cfg(test)]
mod tests {
    use super::interval_days;

    #[test]
    fn rates_give_their_period() {
        assert_eq!(interval_days("rate(30 days)"), Ok(30));
        assert_eq!(interval_days("rate(1 day)"), Ok(1));
        assert_eq!(interval_days("rate(4 hours)"), Ok(1));
        assert_eq!(interval_days("rate(48 hours)"), Ok(2));
        assert!(interval_days("rate(0 days)").is_err());
        assert!(interval_days("rate(2 weeks)").is_err());
    }

    #[test]
    fn cron_schedules_give_their_widest_gap() {
        // Twice a month on the 1st and 15th: the 15th to the 1st of a 31-day month is 17 days.
        assert_eq!(interval_days("cron(0 16 1,15 * ? *)"), Ok(17));
        assert_eq!(interval_days("cron(0 8 ? * MON *)"), Ok(7));
        assert_eq!(interval_days("cron(0 8 ? * MON-FRI *)"), Ok(3));
        assert_eq!(interval_days("cron(0 0 * * ? *)"), Ok(1));
        // The first of January, April, July, October: up to 92 days apart.
        assert_eq!(interval_days("cron(0 0 1 1/3 ? *)"), Ok(92));
        assert_eq!(interval_days("cron(0 0 1 JAN ? *)"), Ok(366));
        assert_eq!(interval_days("cron(0 0 L * ? *)"), Ok(31));
        // Only in leap years: once in four years.
        assert_eq!(interval_days("cron(0 0 29 FEB ? *)"), Ok(1461));
    }

    #[test]
    fn what_cannot_be_read_exactly_is_an_error() {
        for bad in [
            "cron(0 0 1W * ? *)",
            "cron(0 0 ? * 2#1 *)",
            "cron(0 0 1 * ? 2027)",
            "cron(0 0 31 FEB ? *)",
            "cron(0 0 1 *)",
            "every day",
        ] {
            assert!(interval_days(bad).is_err(), "{bad}");
        }
    }
}
