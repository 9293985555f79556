//! `mpsc::WeakSender`/`WeakUnboundedSender`: counts, upgrade while strong senders
//! live, never after the last one left; the same scenario on tokio's.

macro_rules! weak_scenario {
    ($new:expr) => {{
        let (tx, mut rx) = $new;
        let weak = tx.downgrade();
        assert_eq!((tx.strong_count(), tx.weak_count()), (1, 1));
        let weak2 = weak.clone();
        assert_eq!((weak.strong_count(), weak.weak_count()), (1, 2));
        let strong = weak.upgrade().expect("a strong sender lives");
        assert_eq!(tx.strong_count(), 2);
        drop(strong);
        drop(tx);
        assert_eq!(weak.strong_count(), 0);
        assert!(weak.upgrade().is_none(), "the channel ended with the last strong sender");
        assert!(rx.recv().await.is_none(), "weak senders do not keep the receiver waiting");
        drop(weak2);
        assert_eq!(weak.weak_count(), 1);
    }};
}

#[test]
fn weak_senders_behave_as_tokio_s() {
    wakeful::block_on(async {
        weak_scenario!(wakeful::sync::mpsc::channel::<u8>(1));
        weak_scenario!(wakeful::sync::mpsc::unbounded_channel::<u8>());
    });
    tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
        weak_scenario!(tokio::sync::mpsc::channel::<u8>(1));
        weak_scenario!(tokio::sync::mpsc::unbounded_channel::<u8>());
    });
}

#[test]
fn a_message_sent_through_an_upgraded_sender_arrives() {
    wakeful::block_on(async {
        let (tx, mut rx) = wakeful::sync::mpsc::channel::<u8>(2);
        let weak = tx.downgrade();
        weak.upgrade().unwrap().send(4).await.unwrap();
        drop(tx);
        assert_eq!(rx.recv().await, Some(4));
        assert_eq!(rx.recv().await, None, "the upgraded sender was dropped after its send");
        assert!(weak.upgrade().is_none());
    });
}

#[test]
fn a_weak_sender_outliving_the_receiver_upgrades_to_a_closed_sender() {
    let (tx, rx) = wakeful::sync::mpsc::unbounded_channel::<String>();
    let weak = tx.downgrade();
    drop(rx);
    let tx2 = weak.upgrade().expect("strong senders still live");
    assert!(tx2.is_closed());
    assert_eq!(tx2.send("lost".into()).unwrap_err().0, "lost", "the value comes back");
}
