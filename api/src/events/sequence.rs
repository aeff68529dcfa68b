//! Noticing events lost between replicas. Each replica numbers what it
//! publishes and says every second how many it has numbered; a listener
//! that learns of a number (by a later one, or by such word) and does not
//! hear it within [`REORDER`] says events were lost. NOTIFYs sent on
//! different connections of one replica may arrive out of order, so a hole
//! is given time to fill before it counts.

use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, Instant};

/// How long a missing number may take to arrive after it is known to be
/// missing.
pub const REORDER: Duration = Duration::from_secs(2);
/// A sender not heard from for this long is forgotten: one-off senders (a
/// command's run) do not pile up.
const FORGET: Duration = Duration::from_secs(600);

#[derive(Debug)]
struct Track {
    /// Every number below it was heard.
    next: u64,
    /// Numbers heard beyond `next`, each with when it came: from then on,
    /// `next` was known to be missing.
    ahead: BTreeMap<u64, Instant>,
    /// The sender's word that every number below the first was used, and
    /// since when that was known.
    owed: Option<(u64, Instant)>,
    heard_at: Instant,
}

impl Track {
    fn starting_at(next: u64, now: Instant) -> Track {
        Track {
            next,
            ahead: BTreeMap::new(),
            owed: None,
            heard_at: now,
        }
    }

    /// Moves `next` past the numbers heard, and lets go of word that they
    /// were owed.
    fn advance(&mut self) {
        while self.ahead.remove(&self.next).is_some() {
            self.next += 1;
        }
        if self.owed.is_some_and(|(until, _)| until <= self.next) {
            self.owed = None;
        }
    }

    /// Since when `next` has been known to be missing, if it is.
    fn missing_since(&self) -> Option<Instant> {
        let by_later = self.ahead.values().min().copied();
        let by_word = self.owed.map(|(_, since)| since);
        match (by_later, by_word) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }
}

/// The numbering of every sender heard.
#[derive(Debug, Default)]
pub struct Sequences {
    senders: HashMap<u64, Track>,
}

impl Sequences {
    /// Notes number `seq` from `sender`. A sender's first number heard
    /// starts its track: what it sent before this replica listened was
    /// never this replica's to hear.
    pub fn heard(&mut self, sender: u64, seq: u64, now: Instant) {
        let track = self
            .senders
            .entry(sender)
            .or_insert_with(|| Track::starting_at(seq, now));
        track.heard_at = now;
        if seq < track.next {
            // Late, after its hole was given up on (or a repeat).
            return;
        }
        track.ahead.entry(seq).or_insert(now);
        track.advance();
    }

    /// Notes `sender`'s word that it has used every number below `next`.
    /// Heard first, it starts the sender's track there.
    pub fn announced(&mut self, sender: u64, next: u64, now: Instant) {
        let track = self
            .senders
            .entry(sender)
            .or_insert_with(|| Track::starting_at(next, now));
        track.heard_at = now;
        if next > track.next {
            match &mut track.owed {
                Some((until, _)) => *until = (*until).max(next),
                None => track.owed = Some((next, now)),
            }
        }
    }

    /// Whether some sender's missing number has been missing longer than
    /// [`REORDER`]: its events are taken as lost, and its track goes on
    /// after the highest number it is known to have used.
    pub fn lost(&mut self, now: Instant) -> bool {
        let mut lost = false;
        self.senders.retain(|_, track| {
            if track
                .missing_since()
                .is_some_and(|since| now.duration_since(since) > REORDER)
            {
                lost = true;
                let after_heard = track.ahead.keys().last().map(|last| last + 1);
                let owed = track.owed.map(|(until, _)| until);
                track.next = [Some(track.next), after_heard, owed]
                    .into_iter()
                    .flatten()
                    .max()
                    .unwrap_or(track.next);
                track.ahead.clear();
                track.owed = None;
            }
            now.duration_since(track.heard_at) < FORGET
        });
        lost
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn after(start: Instant, millis: u64) -> Instant {
        start + Duration::from_millis(millis)
    }

    #[test]
    fn numbers_in_order_lose_nothing() {
        let start = Instant::now();
        let mut sequences = Sequences::default();
        for seq in 5..20 {
            sequences.heard(1, seq, start);
        }
        assert!(!sequences.lost(after(start, 10_000)));
    }

    #[test]
    fn a_hole_filled_within_the_window_loses_nothing() {
        let start = Instant::now();
        let mut sequences = Sequences::default();
        sequences.heard(1, 10, start);
        sequences.heard(1, 12, start);
        sequences.heard(1, 13, after(start, 100));
        assert!(!sequences.lost(after(start, 1_000)));
        sequences.heard(1, 11, after(start, 1_500));
        assert!(!sequences.lost(after(start, 10_000)));
        sequences.heard(1, 14, after(start, 10_000));
        assert!(!sequences.lost(after(start, 20_000)));
    }

    #[test]
    fn a_hole_left_open_is_lost_once() {
        let start = Instant::now();
        let mut sequences = Sequences::default();
        sequences.heard(1, 0, start);
        sequences.heard(2, 0, start);
        sequences.heard(1, 2, start);
        assert!(!sequences.lost(after(start, 1_900)));
        assert!(sequences.lost(after(start, 2_100)));
        assert!(!sequences.lost(after(start, 5_000)), "said once");
        // The track goes on after the highest number heard; the late one
        // is no new hole.
        sequences.heard(1, 1, after(start, 5_000));
        sequences.heard(1, 3, after(start, 5_000));
        assert!(!sequences.lost(after(start, 9_000)));
    }

    #[test]
    fn a_hole_is_timed_from_when_it_was_known_not_from_the_last_fill() {
        let start = Instant::now();
        let mut sequences = Sequences::default();
        sequences.heard(1, 0, start);
        // 3 shows 1 and 2 missing; 1 comes late, 2 never does.
        sequences.heard(1, 3, start);
        sequences.heard(1, 1, after(start, 1_900));
        assert!(
            sequences.lost(after(start, 2_100)),
            "2 has been missing since 3 came"
        );
    }

    #[test]
    fn word_of_numbers_used_finds_a_last_event_lost() {
        let start = Instant::now();
        let mut sequences = Sequences::default();
        // A sender's word starts its track; its first event, 0, is lost.
        sequences.announced(1, 0, start);
        sequences.announced(1, 1, after(start, 1_000));
        assert!(!sequences.lost(after(start, 2_000)));
        assert!(sequences.lost(after(start, 3_100)));
        // Its next event arrives after the word that it was sent: no loss.
        sequences.announced(1, 2, after(start, 4_000));
        sequences.heard(1, 1, after(start, 4_100));
        assert!(!sequences.lost(after(start, 9_000)));
        // Word that says nothing new is no hole.
        sequences.announced(1, 2, after(start, 9_000));
        assert!(!sequences.lost(after(start, 20_000)));
    }

    #[test]
    fn each_sender_is_numbered_on_its_own() {
        let start = Instant::now();
        let mut sequences = Sequences::default();
        sequences.heard(1, 7, start);
        sequences.heard(2, 100, start);
        sequences.heard(1, 8, start);
        sequences.heard(2, 101, start);
        assert!(!sequences.lost(after(start, 3_000)));
        sequences.heard(2, 103, after(start, 3_000));
        assert!(sequences.lost(after(start, 6_000)));
    }

    #[test]
    fn a_quiet_sender_is_forgotten() {
        let start = Instant::now();
        let mut sequences = Sequences::default();
        sequences.heard(1, 0, start);
        assert!(!sequences.lost(after(start, 700_000)));
        assert!(sequences.senders.is_empty());
        // Heard again, it starts a new track: no hole from the old one.
        sequences.heard(1, 50, after(start, 700_000));
        assert!(!sequences.lost(after(start, 710_000)));
    }
}
