//! "My day", the home page of a user: their open tasks, the birthdays of the next days, the
//! customers they have not heard from, and what happened lately with their people.
use crate::auth::Actor;
use crate::error::{CoreError, Result};
use crate::interactions::InteractionView;
use crate::people::PersonView;
use crate::tasks::TaskView;
use chrono::{Datelike, Duration, NaiveDate, Utc};
use relais_domain::{Action, Resource};
use relais_store::{Db, interactions, people, tasks};

/// How far ahead birthdays are shown, in days (today included).
pub const BIRTHDAY_DAYS: i64 = 7;
/// A customer with no interaction for this many days is one to call back.
pub const QUIET_DAYS: i64 = 90;

pub struct Birthday {
    pub person: PersonView,
    /// 0: today.
    pub in_days: i64,
    /// The age they turn, when the year of birth is known.
    pub turns: Option<i32>,
}

pub struct MyDay {
    pub tasks: Vec<TaskView>,
    pub birthdays: Vec<Birthday>,
    /// Whether the birthdays are of the user's own people (else of everyone: they own none).
    pub own_birthdays: bool,
    pub call_back: Vec<PersonView>,
    pub recent: Vec<InteractionView>,
}

/// Days from `today` to the next (day, month), this year or the next; None for a date that
/// does not come back in the window (29 February out of a leap year).
fn days_until(today: NaiveDate, day: u32, month: u32) -> Option<i64> {
    [today.year(), today.year() + 1]
        .into_iter()
        .filter_map(|y| NaiveDate::from_ymd_opt(y, month, day))
        .map(|d| (d - today).num_days())
        .find(|n| *n >= 0)
}

pub async fn my_day(db: &Db, actor: &Actor, today: NaiveDate) -> Result<MyDay> {
    actor.require(Action::Read, Resource::PEOPLE)?;
    let me = actor.user.ok_or(CoreError::Unauthenticated)?;
    let mut tx = db.read().await?;
    let tasks = tasks::open_for(&mut tx, "assignee_id", me.0, 50)
        .await?
        .into_iter()
        .map(TaskView::from)
        .collect();
    let last = today + Duration::days(BIRTHDAY_DAYS - 1);
    let window = ((today.month(), today.day()), (last.month(), last.day()));
    let mut found = people::birthdays(&mut tx, Some(me), window.0, window.1, 200).await?;
    let own_birthdays = !found.is_empty();
    if !own_birthdays {
        found = people::birthdays(&mut tx, None, window.0, window.1, 200).await?;
    }
    let mut birthdays: Vec<Birthday> = found
        .into_iter()
        .filter_map(|p| {
            let b = p.data.birthday?;
            let in_days = days_until(today, b.day.into(), b.month.into())?;
            let turns = b
                .year
                .map(|y| (today + Duration::days(in_days)).year() - i32::from(y));
            Some(Birthday {
                person: p.into(),
                in_days,
                turns,
            })
        })
        .filter(|b| b.in_days < BIRTHDAY_DAYS)
        .collect();
    birthdays.sort_by(|a, b| {
        (a.in_days, &a.person.display_name).cmp(&(b.in_days, &b.person.display_name))
    });
    birthdays.truncate(20);
    let since = Utc::now() - Duration::days(QUIET_DAYS);
    let call_back = people::quiet_customers(&mut tx, me, since, 10)
        .await?
        .into_iter()
        .map(PersonView::from)
        .collect();
    let recent = interactions::recent_for_owner(&mut tx, me, 10)
        .await?
        .into_iter()
        .map(InteractionView::from)
        .collect();
    Ok(MyDay {
        tasks,
        birthdays,
        own_birthdays,
        call_back,
        recent,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn birthdays_come_round_across_the_new_year() {
        let d = |y, m, dd| NaiveDate::from_ymd_opt(y, m, dd).unwrap();
        assert_eq!(days_until(d(2026, 12, 30), 2, 1), Some(3));
        assert_eq!(days_until(d(2026, 11, 30), 30, 11), Some(0));
        assert_eq!(days_until(d(2026, 11, 30), 29, 11), Some(364));
        assert_eq!(days_until(d(2027, 2, 27), 29, 2), Some(367));
        assert_eq!(days_until(d(2028, 2, 27), 29, 2), Some(2));
    }
}
