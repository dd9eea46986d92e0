//! The one loop that pages through a listing. Each client says how to fetch a page and
//! what it held; the pager applies the limits and says how the listing ended, so that
//! only a listing read to its end may mark posts deleted, and no broken or hostile
//! platform can make a listing spend a budget.

use std::collections::HashSet;

use super::http::ApiError;

/// What one page held, as the client read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Page<C> {
    /// The ids it listed (posts, videos), to tell whether it brought anything new.
    pub ids: Vec<String>,
    /// Where the next page starts; `None`: the platform says the listing ended.
    pub next: Option<C>,
    /// The client saw what it needed (the horizon passed, every wanted id listed).
    pub enough: bool,
}

/// How a listing ended.
#[derive(Debug)]
pub enum End<E = ApiError> {
    /// The platform said it ended, or the client saw what it needed: complete.
    Complete,
    /// The page cap was reached first.
    Capped,
    /// Pages stopped bringing ids not already listed (a repeated cursor, empty pages
    /// that still promise more, the same items under new cursors).
    Stalled,
    /// A page failed; the pages before it were read and kept.
    Failed(E),
}

impl<E> End<E> {
    /// Whether the listing was read to its end, so that what it lacks is gone.
    pub fn is_complete(&self) -> bool {
        matches!(self, End::Complete)
    }

    /// The error, if a page failed.
    pub fn into_error(self) -> Option<E> {
        match self {
            End::Failed(e) => Some(e),
            _ => None,
        }
    }
}

/// The limits of one kind of listing.
#[derive(Debug, Clone, Copy)]
pub struct Pager {
    /// Pages read at most.
    pub max_pages: usize,
    /// Pages in a row that bring nothing new before the listing is given up. TikTok may
    /// send an empty page that still says `has_more` (platform-apis.md §3.2), so one is
    /// forgiven; a second in a row is not.
    pub max_stalls: usize,
}

impl Pager {
    pub const fn new(max_pages: usize) -> Pager {
        Pager {
            max_pages,
            max_stalls: 2,
        }
    }

    /// Starts a listing at `start` (`None`: its first page). The caller reads pages in
    /// a loop: `while let Some(cursor) = paging.next_cursor() { paging.read(fetch(cursor).await) }`.
    pub fn start<C, E>(&self, start: Option<C>) -> Paging<C, E> {
        Paging {
            limits: *self,
            seen: HashSet::new(),
            cursor: start,
            asked: 0,
            stalls: 0,
            end: None,
        }
    }
}

/// One listing under way: what it has listed so far, and whether it has ended. A loop
/// the caller writes, not a closure the pager calls, so that the caller's future stays
/// `Send` (an async closure that borrows does not).
#[derive(Debug)]
pub struct Paging<C, E = ApiError> {
    limits: Pager,
    seen: HashSet<String>,
    /// The cursor sent last (or to send first).
    cursor: Option<C>,
    asked: usize,
    stalls: usize,
    end: Option<End<E>>,
}

impl<C: Clone + PartialEq, E> Paging<C, E> {
    /// The cursor of the next page to read, until the listing has ended.
    pub fn next_cursor(&mut self) -> Option<Option<C>> {
        if self.end.is_some() {
            return None;
        }
        if self.asked >= self.limits.max_pages {
            self.end = Some(End::Capped);
            return None;
        }
        self.asked += 1;
        Some(self.cursor.clone())
    }

    /// What the page just asked for held, or why it failed. A page counts as new if it
    /// lists an id not listed before; a page whose next cursor is the one just sent must
    /// bring something new, or the listing has stalled (Graph's `recent_media` may repeat
    /// its cursor while the pages move on, §1.5, so a repeated cursor alone does not end
    /// it).
    pub fn read(&mut self, page: Result<Page<C>, E>) {
        let page = match page {
            Ok(page) => page,
            Err(e) => return self.end = Some(End::Failed(e)),
        };
        if page.enough {
            return self.end = Some(End::Complete);
        }
        let before = self.seen.len();
        self.seen.extend(page.ids);
        let fresh = self.seen.len() > before;
        let Some(next) = page.next else {
            return self.end = Some(End::Complete);
        };
        if fresh {
            self.stalls = 0;
        } else {
            self.stalls += 1;
            if self.stalls >= self.limits.max_stalls || self.cursor.as_ref() == Some(&next) {
                return self.end = Some(End::Stalled);
            }
        }
        self.cursor = Some(next);
    }

    /// How the listing ended; one left before its end counts as capped.
    pub fn end(self) -> End<E> {
        self.end.unwrap_or(End::Capped)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn page(ids: &[&str], next: Option<u32>) -> Page<u32> {
        Page {
            ids: ids.iter().map(|s| s.to_string()).collect(),
            next,
            enough: false,
        }
    }

    /// Runs a pager over `pages` (then errors); returns how it ended and how many pages
    /// it asked for.
    fn over(pager: Pager, pages: Vec<Result<Page<u32>, ApiError>>) -> (End, usize) {
        let mut pages = pages.into_iter();
        let mut asked = 0;
        let mut paging = pager.start(None);
        while paging.next_cursor().is_some() {
            asked += 1;
            let page = pages.next();
            paging.read(page.unwrap_or_else(|| Err(ApiError::Invalid("no more pages".into()))));
        }
        (paging.end(), asked)
    }

    #[test]
    fn a_listing_that_ends_is_complete() {
        let (end, asked) = over(
            Pager::new(10),
            vec![Ok(page(&["1", "2"], Some(1))), Ok(page(&["3"], None))],
        );
        assert!(end.is_complete());
        assert_eq!(asked, 2);
    }

    #[test]
    fn the_same_items_under_new_cursors_stall_after_two_pages() {
        let pages = (1..100).map(|n| Ok(page(&["1", "2"], Some(n)))).collect();
        let (end, asked) = over(Pager::new(1000), pages);
        assert!(matches!(end, End::Stalled), "{end:?}");
        assert_eq!(asked, 3, "the first page, and two that bring nothing new");
    }

    #[test]
    fn one_empty_page_that_promises_more_is_forgiven() {
        let pages = vec![
            Ok(page(&["1"], Some(1))),
            Ok(page(&[], Some(2))),
            Ok(page(&["2"], Some(3))),
            Ok(page(&[], Some(4))),
            Ok(page(&[], Some(5))),
        ];
        let (end, asked) = over(Pager::new(1000), pages);
        assert!(matches!(end, End::Stalled));
        assert_eq!(asked, 5);
    }

    #[test]
    fn a_repeated_cursor_ends_the_listing_only_when_nothing_new_came() {
        // recent_media: the same `after` on every page, new items each time.
        let moving = (0..5)
            .map(|n| Ok(page(&[&n.to_string()], if n < 4 { Some(7) } else { None })))
            .collect();
        let (end, asked) = over(Pager::new(1000), moving);
        assert!(end.is_complete());
        assert_eq!(asked, 5);
        let stuck = vec![Ok(page(&["1"], Some(7))), Ok(page(&["1"], Some(7)))];
        let (end, asked) = over(Pager::new(1000), stuck);
        assert!(matches!(end, End::Stalled));
        assert_eq!(asked, 2);
    }

    #[test]
    fn the_cap_and_a_failure_end_a_listing_unfinished() {
        let endless = (0..100)
            .map(|n| Ok(page(&[&n.to_string()], Some(n))))
            .collect();
        let (end, asked) = over(Pager::new(4), endless);
        assert!(matches!(end, End::Capped));
        assert_eq!(asked, 4);
        let failing = vec![Ok(page(&["1"], Some(1)))];
        let (end, _) = over(Pager::new(4), failing);
        assert!(!end.is_complete());
        assert!(end.into_error().is_some());
    }
}
