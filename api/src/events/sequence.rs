//! Noticing events lost between replicas. Each replica numbers what it
//! publishes; a listener that hears a number skipped, and does not hear it
//! within [`REORDER`], says events were lost. NOTIFYs sent on different
//! connections of one replica may arrive out of order, so a hole is given
//! time to fill before it counts.

use std::collections::{BTreeSet, HashMap};
use std::time::{Duration, Instant};

/// How long a skipped number may take to arrive after a later one.
pub const REORDER: Duration = Duration::from_secs(2);
/// A sender not heard from for this long, with nothing missing, is
/// forgotten: one-off senders (a CLI run) do not pile up.
const FORGET: Duration = Duration::from_secs(600);

#[derive(Debug)]
struct Track {
    /// The number expected next.
    next: u64,
    /// Numbers heard beyond a hole.
    ahead: BTreeSet<u64>,
    /// Since when the oldest open hole has waited.
    hole_since: Option<Instant>,
    heard_at: Instant,
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
        let track = self.senders.entry(sender).or_insert(Track {
            next: seq,
            ahead: BTreeSet::new(),
            hole_since: None,
            heard_at: now,
        });
        track.heard_at = now;
        if seq < track.next {
            // Late, after its hole was given up on (or a repeat).
            return;
        }
        if seq > track.next {
            track.ahead.insert(seq);
            track.hole_since.get_or_insert(now);
            return;
        }
        track.next = seq + 1;
        while track.ahead.remove(&track.next) {
            track.next += 1;
        }
        track.hole_since = if track.ahead.is_empty() {
            None
        } else {
            // The hole now open is after every number heard so far.
            Some(now)
        };
    }

    /// Whether some sender's hole has waited longer than [`REORDER`]: its
    /// events are taken as lost, and its track starts again after the
    /// highest number heard.
    pub fn lost(&mut self, now: Instant) -> bool {
        let mut lost = false;
        self.senders.retain(|_, track| {
            if track
                .hole_since
                .is_some_and(|since| now.duration_since(since) > REORDER)
            {
                lost = true;
                track.next = track.ahead.last().map_or(track.next, |last| last + 1);
                track.ahead.clear();
                track.hole_since = None;
            }
            track.hole_since.is_some() || now.duration_since(track.heard_at) < FORGET
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
    fn a_quiet_sender_is_forgotten_unless_it_owes_a_number() {
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
