//! `Store::for_each_on_thread` (exports read on one thread and write on another) gives exactly
//! the rows of `for_each`, in order, and stops cleanly on an error of either side.
#![allow(clippy::unwrap_used)]

mod common;

use atlas_core::SiteFilter;
use atlas_store::StoreError;

#[derive(Debug, thiserror::Error)]
enum Sink {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("the writer gave up at row {0}")]
    GaveUp(usize),
}

#[test]
fn the_rows_and_their_order_are_those_of_for_each() {
    let (store, _) = common::synth_store(3000, 9);
    for q in [
        "",
        "chain=petrochemical",
        "bbox=110.8,21.6,110.95,21.75",
        "q=石化",
        "limit=700&offset=5",
    ] {
        let f = SiteFilter::parse_query(q).unwrap();
        let mut plain = Vec::new();
        store
            .for_each(&f, |s| {
                plain.push(s);
                Ok::<(), StoreError>(())
            })
            .unwrap();
        let mut threaded = Vec::new();
        store
            .for_each_on_thread(&f, |s| {
                threaded.push(s.clone());
                Ok::<(), StoreError>(())
            })
            .unwrap();
        assert!(!plain.is_empty(), "{q}");
        assert_eq!(threaded, plain, "{q}");
    }
}

#[test]
fn an_error_of_the_writer_stops_the_reading_and_is_returned() {
    let (store, _) = common::synth_store(3000, 9);
    let mut seen = 0;
    let err = store
        .for_each_on_thread(&SiteFilter::default(), |_| {
            seen += 1;
            if seen == 1000 {
                return Err(Sink::GaveUp(seen));
            }
            Ok(())
        })
        .unwrap_err();
    assert!(matches!(err, Sink::GaveUp(1000)), "{err}");
    assert_eq!(seen, 1000);
    // The store is usable afterwards.
    assert!(store.count(&SiteFilter::default()).unwrap() >= 3000);
}
