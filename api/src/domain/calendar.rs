//! The working calendar that case deadlines are counted in: weekdays are
//! working days unless a holiday says otherwise, and some weekend days are
//! made working days (调休). Office hours are 08:30-17:30 China time.
//! Emergencies run on the clock instead: a fire reported at 04:54 is due
//! within the hour, not at the next working morning.

use std::collections::HashMap;

use chrono::{
    DateTime, Datelike, Duration, FixedOffset, NaiveDate, NaiveTime, TimeZone, Utc, Weekday,
};
use entities::case_time_limit::TimeUnit;

/// China Standard Time: deadlines are counted in the city's own hours.
fn china() -> FixedOffset {
    FixedOffset::east_opt(8 * 3600).expect("UTC+8 is a valid offset")
}

/// Today in the city (UTC+8): what an expiry is judged against.
pub fn today() -> NaiveDate {
    Utc::now().with_timezone(&china()).date_naive()
}

const OPENS: (u32, u32) = (8, 30);
const CLOSES: (u32, u32) = (17, 30);
/// A deadline further than this many days away is not a working-time limit
/// but a mistake in the data; the search stops there.
const MAX_DAYS: i64 = 3_660;

/// How a limit's time passes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Counting {
    /// Office hours of working days.
    WorkingTime,
    /// Every hour of every day.
    RoundTheClock,
}

impl Counting {
    pub fn of(unit: TimeUnit) -> Counting {
        match unit {
            TimeUnit::Hours => Counting::RoundTheClock,
            TimeUnit::WorkingHours | TimeUnit::WorkingDays => Counting::WorkingTime,
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct WorkingCalendar {
    /// Days whose working status differs from their weekday's.
    exceptions: HashMap<NaiveDate, bool>,
}

impl WorkingCalendar {
    pub fn new(exceptions: impl IntoIterator<Item = (NaiveDate, bool)>) -> WorkingCalendar {
        WorkingCalendar {
            exceptions: exceptions.into_iter().collect(),
        }
    }

    /// Whether `at` falls in office hours (08:30–17:30 China time) of a
    /// working day.
    pub fn is_office_hours(&self, at: DateTime<Utc>) -> bool {
        let local = at.with_timezone(&china());
        let time = local.time();
        let opens = NaiveTime::from_hms_opt(OPENS.0, OPENS.1, 0).unwrap_or_default();
        let closes = NaiveTime::from_hms_opt(CLOSES.0, CLOSES.1, 0).unwrap_or_default();
        self.is_working_day(local.date_naive()) && time >= opens && time < closes
    }

    pub fn is_working_day(&self, day: NaiveDate) -> bool {
        self.exceptions
            .get(&day)
            .copied()
            .unwrap_or(!matches!(day.weekday(), Weekday::Sat | Weekday::Sun))
    }

    /// The moment `amount` units after `start`: of working time, or hours of
    /// the clock. Working days end at closing time of the last day counted.
    pub fn add(&self, start: DateTime<Utc>, amount: i32, unit: TimeUnit) -> DateTime<Utc> {
        let local = start.with_timezone(&china());
        match unit {
            TimeUnit::WorkingHours => {
                self.add_duration(local, Duration::hours(i64::from(amount.max(0))))
            }
            TimeUnit::WorkingDays => self.add_days(local.date_naive(), amount.max(0)),
            TimeUnit::Hours => start + Duration::hours(i64::from(amount.max(0))),
        }
    }

    /// When `percent` of the time from `start` to `end` has passed, time
    /// counted as `counting` says: where a case's light turns yellow.
    pub fn share_counted(
        &self,
        counting: Counting,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
        percent: i64,
    ) -> DateTime<Utc> {
        match counting {
            Counting::WorkingTime => self.share_of(start, end, percent),
            Counting::RoundTheClock => {
                start + (end - start).max(Duration::zero()) * percent as i32 / 100
            }
        }
    }

    /// `at` (a deadline, a yellow light) after a clock stopped at `stopped`
    /// starts again at `now`: the time that was left is left again.
    pub fn resumed(
        &self,
        counting: Counting,
        stopped: DateTime<Utc>,
        now: DateTime<Utc>,
        at: DateTime<Utc>,
    ) -> DateTime<Utc> {
        match counting {
            Counting::WorkingTime => {
                self.add_working_time(now, self.working_time_between(stopped, at))
            }
            Counting::RoundTheClock => now + (at - stopped).max(Duration::zero()),
        }
    }

    /// `start` plus `time` of working time.
    pub fn add_working_time(&self, start: DateTime<Utc>, time: Duration) -> DateTime<Utc> {
        self.add_duration(start.with_timezone(&china()), time.max(Duration::zero()))
    }

    /// `end` minus `time` of working time: the latest moment from which
    /// `time` of working time reaches `end` (what [`Self::add_working_time`]
    /// undoes).
    pub fn sub_working_time(&self, end: DateTime<Utc>, time: Duration) -> DateTime<Utc> {
        let mut now = end.with_timezone(&china());
        let mut remaining = time.max(Duration::zero());
        for _ in 0..MAX_DAYS {
            if remaining.is_zero() {
                break;
            }
            let day = now.date_naive();
            if self.is_working_day(day) {
                let (opens, closes) = (at(day, OPENS), at(day, CLOSES));
                now = now.min(closes);
                if now > opens {
                    let available = now - opens;
                    if remaining <= available {
                        return (now - remaining).with_timezone(&Utc);
                    }
                    remaining -= available;
                }
            }
            now = at(day - Duration::days(1), CLOSES);
        }
        now.with_timezone(&Utc)
    }

    /// The working time from `start` to `end`; zero when `end` is not later.
    pub fn working_time_between(&self, start: DateTime<Utc>, end: DateTime<Utc>) -> Duration {
        if end <= start {
            return Duration::zero();
        }
        let (start, end) = (start.with_timezone(&china()), end.with_timezone(&china()));
        let mut day = start.date_naive();
        let mut total = Duration::zero();
        for _ in 0..MAX_DAYS {
            if day > end.date_naive() {
                break;
            }
            if self.is_working_day(day) {
                let from = at(day, OPENS).max(start);
                let to = at(day, CLOSES).min(end);
                if to > from {
                    total += to - from;
                }
            }
            day += Duration::days(1);
        }
        total
    }

    /// When `percent` of the working time from `start` to `end` has passed:
    /// where a case's light turns yellow.
    pub fn share_of(
        &self,
        start: DateTime<Utc>,
        end: DateTime<Utc>,
        percent: i64,
    ) -> DateTime<Utc> {
        let total = self.working_time_between(start, end);
        self.add_working_time(start, total * percent as i32 / 100)
    }

    fn add_duration(&self, start: DateTime<FixedOffset>, time: Duration) -> DateTime<Utc> {
        let mut now = start;
        let mut remaining = time;
        for _ in 0..MAX_DAYS {
            let day = now.date_naive();
            if self.is_working_day(day) {
                let (opens, closes) = (at(day, OPENS), at(day, CLOSES));
                if now < opens {
                    now = opens;
                }
                if now < closes {
                    let available = closes - now;
                    if remaining <= available {
                        return (now + remaining).with_timezone(&Utc);
                    }
                    remaining -= available;
                }
            }
            now = at(day + Duration::days(1), (0, 0));
        }
        now.with_timezone(&Utc)
    }

    fn add_days(&self, start_day: NaiveDate, days: i32) -> DateTime<Utc> {
        let mut day = start_day;
        let mut counted = 0;
        for _ in 0..MAX_DAYS {
            if counted >= days {
                break;
            }
            day += Duration::days(1);
            if self.is_working_day(day) {
                counted += 1;
            }
        }
        at(day, CLOSES).with_timezone(&Utc)
    }
}

fn at(day: NaiveDate, (hour, minute): (u32, u32)) -> DateTime<FixedOffset> {
    let time = NaiveTime::from_hms_opt(hour, minute, 0).unwrap_or(NaiveTime::MIN);
    china()
        .from_local_datetime(&day.and_time(time))
        .single()
        .unwrap_or_else(|| china().from_utc_datetime(&day.and_time(time)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).expect("valid date")
    }

    fn china_time(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
        at(day(y, m, d), (h, min)).with_timezone(&Utc)
    }

    #[test]
    fn working_time_taken_off_is_what_adding_it_puts_back() {
        let calendar = WorkingCalendar::default();
        // Monday 2026-11-30 10:00 less 3 working hours: 1.5 h Monday,
        // 1.5 h Friday before closing.
        let monday = china_time(2026, 11, 30, 10, 0);
        let back = calendar.sub_working_time(monday, Duration::hours(3));
        assert_eq!(back, china_time(2026, 11, 27, 16, 0));
        for hours in [0, 1, 9, 40, 200] {
            let time = Duration::hours(hours) + Duration::minutes(17);
            let from = calendar.sub_working_time(monday, time);
            assert_eq!(calendar.add_working_time(from, time), monday, "{hours} h");
            assert_eq!(
                calendar.working_time_between(from, monday),
                time,
                "{hours} h"
            );
        }
    }

    #[test]
    fn hours_skip_nights_and_weekends() {
        let calendar = WorkingCalendar::default();
        // Friday 2026-11-27 16:30 + 4 working hours: 1 h Friday, 3 h Monday.
        let deadline = calendar.add(china_time(2026, 11, 27, 16, 30), 4, TimeUnit::WorkingHours);
        assert_eq!(deadline, china_time(2026, 11, 30, 11, 30));
        // Saturday morning counts from Monday's opening.
        let deadline = calendar.add(china_time(2026, 11, 28, 9, 0), 2, TimeUnit::WorkingHours);
        assert_eq!(deadline, china_time(2026, 11, 30, 10, 30));
    }

    #[test]
    fn working_minutes_count_only_opening_hours() {
        let calendar = WorkingCalendar::default();
        // Friday 16:30 to Monday 11:30: one hour on Friday, three on Monday.
        let start = china_time(2026, 11, 27, 16, 30);
        let end = china_time(2026, 11, 30, 11, 30);
        assert_eq!(
            calendar.working_time_between(start, end),
            Duration::hours(4)
        );
        assert_eq!(calendar.working_time_between(end, start), Duration::zero());
        assert_eq!(calendar.add_working_time(start, Duration::hours(4)), end);
        // 80% of those four hours: Monday 10:42.
        assert_eq!(
            calendar.share_of(start, end, 80),
            china_time(2026, 11, 30, 10, 42)
        );
    }

    #[test]
    fn emergencies_run_on_the_clock() {
        let calendar = WorkingCalendar::default();
        // Saturday 04:54 + 1 hour: 05:54 the same night, not Monday.
        let start = china_time(2026, 11, 28, 4, 54);
        let deadline = calendar.add(start, 1, TimeUnit::Hours);
        assert_eq!(deadline, china_time(2026, 11, 28, 5, 54));
        assert_eq!(
            calendar.share_counted(Counting::RoundTheClock, start, deadline, 80),
            china_time(2026, 11, 28, 5, 42)
        );
        // Stopped with 20 minutes left, started again on Monday: 20 minutes.
        let stopped = china_time(2026, 11, 28, 5, 34);
        let again = china_time(2026, 11, 30, 9, 0);
        assert_eq!(
            calendar.resumed(Counting::RoundTheClock, stopped, again, deadline),
            china_time(2026, 11, 30, 9, 20)
        );
        assert_eq!(Counting::of(TimeUnit::WorkingHours), Counting::WorkingTime);
    }

    #[test]
    fn days_end_at_closing_and_respect_holidays() {
        let calendar =
            WorkingCalendar::new([(day(2026, 11, 30), false), (day(2026, 11, 29), true)]);
        // Thursday + 3 working days: Fri, Sun (made a working day), Tue (Mon is a holiday).
        let deadline = calendar.add(china_time(2026, 11, 26, 10, 0), 3, TimeUnit::WorkingDays);
        assert_eq!(deadline, china_time(2026, 12, 1, 17, 30));
        assert!(!calendar.is_working_day(day(2026, 11, 28)));
    }
}
