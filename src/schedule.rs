//! Scheduling decisions in a chat's time zone, made from a `now` that is passed in. Nothing here reads the
//! clock or the database, so every rule is testable with any instant (DST days included).

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveTime, TimeZone, Utc};
use chrono_tz::Tz;

use crate::vocab::ChatSettings;
pub use crate::vocab::Weekdays;

/// The local date of an instant in a time zone.
pub fn local_date(now: DateTime<Utc>, tz: Tz) -> NaiveDate {
    now.with_timezone(&tz).date_naive()
}

/// The instant a local time of day happens on a local date. A time that does not exist that day (skipped by
/// a DST change) moves to the first minute after the gap; a time that happens twice takes the earlier.
pub fn instant(date: NaiveDate, time: NaiveTime, tz: Tz) -> DateTime<Utc> {
    let mut local = date.and_time(time);
    // DST gaps are at most a few hours; look a day ahead at most.
    for _ in 0..=24 * 60 {
        if let Some(t) = tz.from_local_datetime(&local).earliest() {
            return t.with_timezone(&Utc);
        }
        local += Duration::minutes(1);
    }
    // Unreachable for real zones; fall back to reading the time as UTC.
    Utc.from_utc_datetime(&date.and_time(time))
}

/// When the chat's question for `date` is due.
pub fn post_instant(s: &ChatSettings, date: NaiveDate) -> DateTime<Utc> {
    instant(date, s.post_time, s.timezone)
}

/// When a scheduled round of `date` is revealed: the reveal time that day, or the next day when the reveal
/// time is not after the post time (e.g. post 21:00, reveal 09:00).
pub fn scheduled_reveal(s: &ChatSettings, date: NaiveDate) -> DateTime<Utc> {
    let reveal_date = if s.reveal_time > s.post_time {
        date
    } else {
        date.succ_opt().unwrap_or(date)
    };
    instant(reveal_date, s.reveal_time, s.timezone)
}

/// The first reveal time strictly after `after` (for a round posted by hand with `/today`).
pub fn next_reveal_after(s: &ChatSettings, after: DateTime<Utc>) -> DateTime<Utc> {
    let mut date = local_date(after, s.timezone);
    loop {
        let t = instant(date, s.reveal_time, s.timezone);
        if t > after {
            return t;
        }
        date = date.succ_opt().expect("dates far from the end of time");
    }
}

/// When a round posted at `posted_at` for `date` is revealed: the scheduled reveal, unless it has already
/// passed when the round was posted by hand, then the next reveal time.
pub fn reveal_for_manual_post(
    s: &ChatSettings,
    date: NaiveDate,
    posted_at: DateTime<Utc>,
) -> DateTime<Utc> {
    let scheduled = scheduled_reveal(s, date);
    if scheduled > posted_at {
        scheduled
    } else {
        next_reveal_after(s, posted_at)
    }
}

/// The decision for one chat at `now`: the local date to post for, if a scheduled post is due.
///
/// A post is due when the schedule is on, the chat has no round (live or skipped) on today's local date, the
/// post time has come, and the schedule was already on at the post time (turning it on at 15:00 does not
/// produce a 09:00 post). Only today is considered: a whole day missed while the bot was down is skipped,
/// not replayed; a post missed earlier today is made up once.
pub fn post_due(
    s: &ChatSettings,
    scheduled_since: DateTime<Utc>,
    now: DateTime<Utc>,
    has_round_today: bool,
) -> Option<NaiveDate> {
    if !s.scheduled || has_round_today {
        return None;
    }
    let today = local_date(now, s.timezone);
    if !s.post_days.contains(today.weekday()) {
        return None;
    }
    let at = post_instant(s, today);
    (now >= at && at >= scheduled_since).then_some(today)
}

/// The next instant after `now` at which the chat's schedule may post.
pub fn next_post_after(
    s: &ChatSettings,
    now: DateTime<Utc>,
    has_round_today: bool,
) -> Option<DateTime<Utc>> {
    if !s.scheduled {
        return None;
    }
    let today = local_date(now, s.timezone);
    let at = post_instant(s, today);
    if at > now && !has_round_today && s.post_days.contains(today.weekday()) {
        return Some(at);
    }
    let mut date = today.succ_opt()?;
    loop {
        let at = post_instant(s, date);
        if at > now && s.post_days.contains(date.weekday()) {
            return Some(at);
        }
        date = date.succ_opt()?;
    }
}

/// Monday of the local week containing `date`.
pub fn week_start(date: NaiveDate) -> NaiveDate {
    date - Duration::days(date.weekday().num_days_from_monday() as i64)
}

/// The first day of the local month containing `date`.
pub fn month_start(date: NaiveDate) -> NaiveDate {
    date.with_day(1).expect("day 1 exists")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings::ChatDefaults;

    fn settings(tz: Tz, post: (u32, u32), reveal: (u32, u32)) -> ChatSettings {
        let mut s = ChatSettings::from_defaults(&ChatDefaults::default(), true);
        s.timezone = tz;
        s.post_time = NaiveTime::from_hms_opt(post.0, post.1, 0).unwrap();
        s.reveal_time = NaiveTime::from_hms_opt(reveal.0, reveal.1, 0).unwrap();
        s
    }

    fn utc(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn schedule_a_post_time_skipped_by_dst_posts_after_the_gap() {
        // 2026-03-08: New York springs forward from 02:00 to 03:00.
        let s = settings(chrono_tz::America::New_York, (2, 30), (21, 0));
        let date = NaiveDate::from_ymd_opt(2026, 3, 8).unwrap();
        assert_eq!(post_instant(&s, date), utc("2026-03-08T07:00:00Z")); // 03:00 EDT
        let since = utc("2026-03-01T00:00:00Z");
        assert_eq!(
            post_due(&s, since, utc("2026-03-08T06:59:00Z"), false),
            None
        );
        assert_eq!(
            post_due(&s, since, utc("2026-03-08T07:00:00Z"), false),
            Some(date)
        );
        assert_eq!(post_due(&s, since, utc("2026-03-08T07:00:00Z"), true), None);
    }

    #[test]
    fn schedule_an_ambiguous_time_takes_the_first() {
        // 2026-11-01: New York falls back; 01:30 happens twice.
        let s = settings(chrono_tz::America::New_York, (1, 30), (21, 0));
        let date = NaiveDate::from_ymd_opt(2026, 11, 1).unwrap();
        assert_eq!(post_instant(&s, date), utc("2026-11-01T05:30:00Z")); // 01:30 EDT
    }

    #[test]
    fn schedule_reveal_before_post_time_is_the_next_day() {
        let s = settings(chrono_tz::Asia::Shanghai, (21, 0), (9, 0));
        let date = NaiveDate::from_ymd_opt(2026, 11, 23).unwrap();
        assert_eq!(scheduled_reveal(&s, date), utc("2026-11-24T01:00:00Z"));
    }

    #[test]
    fn schedule_turned_on_after_post_time_waits_for_tomorrow() {
        let s = settings(chrono_tz::Asia::Shanghai, (9, 0), (21, 0));
        let since = utc("2026-11-23T07:00:00Z"); // 15:00 local
        assert_eq!(
            post_due(&s, since, utc("2026-11-23T08:00:00Z"), false),
            None
        );
        assert_eq!(
            next_post_after(&s, utc("2026-11-23T08:00:00Z"), false),
            Some(utc("2026-11-24T01:00:00Z"))
        );
    }
}

#[cfg(test)]
mod weekday_tests {
    use super::*;
    use chrono::Weekday;

    #[test]
    fn weekday_sets_parse_and_print() {
        assert_eq!(Weekdays::parse("all"), Some(Weekdays::ALL));
        let w = Weekdays::parse("mon-fri").unwrap();
        assert!(w.contains(Weekday::Fri) && !w.contains(Weekday::Sat));
        assert_eq!(w, Weekdays::parse("weekdays").unwrap());
        assert_eq!(
            Weekdays::parse("Mon, wed,fri").unwrap().to_string(),
            "mon,wed,fri"
        );
        assert_eq!(Weekdays::parse("fri-mon"), None);
        assert_eq!(Weekdays::parse("someday"), None);
        assert_eq!(Weekdays::parse(""), None);
    }
}
