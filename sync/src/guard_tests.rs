//! The lock guards' `unsafe` access, exercised without any runtime (a no-op waker and
//! hand-polled futures), so that Miri can check it:
//! `cargo +nightly miri test -p wakeful-sync --lib`.

use crate::{Mutex, MutexGuard, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::future::Future;
use std::pin::pin;
use std::rc::Rc;
use std::task::{Context, Poll, Waker};

fn poll_once<F: Future>(future: std::pin::Pin<&mut F>) -> Poll<F::Output> {
    future.poll(&mut Context::from_waker(Waker::noop()))
}

fn ready<F: Future>(future: F) -> F::Output {
    match poll_once(pin!(future)) {
        Poll::Ready(out) => out,
        Poll::Pending => panic!("expected the future to be ready"),
    }
}

#[test]
fn mutex_guards_write_and_hand_over_the_value() {
    let mutex = Mutex::new(vec![1u32]);
    ready(mutex.lock()).push(2);
    let mut waiting = pin!(mutex.lock());
    {
        let mut held = mutex.try_lock().unwrap();
        assert!(poll_once(waiting.as_mut()).is_pending());
        held.push(3);
    }
    let Poll::Ready(mut guard) = poll_once(waiting.as_mut()) else { panic!("handed over") };
    guard.push(4);
    assert_eq!(*guard, [1, 2, 3, 4]);
}

#[test]
fn mapped_mutex_guards_reach_into_the_value() {
    let mutex = Mutex::new((String::from("a"), vec![0u8; 4]));
    let mut bytes = MutexGuard::map(mutex.try_lock().unwrap(), |(_, bytes)| bytes);
    bytes[1] = 7;
    let mut byte = crate::MappedMutexGuard::map(bytes, |bytes| &mut bytes[1]);
    *byte += 1;
    drop(byte);
    let text = MutexGuard::try_map(mutex.try_lock().unwrap(), |(text, _)| Some(text.as_mut_str()));
    text.unwrap().make_ascii_uppercase();
    let guard = mutex.try_lock().unwrap();
    assert_eq!((guard.0.as_str(), guard.1[1]), ("A", 8));
    assert!(MutexGuard::try_map(guard, |_| None::<&mut u8>).is_err());
}

#[test]
fn unsized_values_behind_guards() {
    let mutex: Box<Mutex<[u32]>> = Box::new(Mutex::new([1, 2, 3]));
    mutex.try_lock().unwrap()[2] = 9;
    assert_eq!(&*mutex.try_lock().unwrap(), &[1, 2, 9]);
    let rw: Rc<RwLock<[u32]>> = Rc::new(RwLock::new([4, 5]));
    let (a, b) = (rw.try_read().unwrap(), rw.clone().try_read_owned().unwrap());
    assert_eq!(a[0] + b[1], 9);
}

#[test]
fn rwlock_readers_share_and_writers_exclude() {
    let rw = RwLock::new((1u32, vec![2u32]));
    let first = rw.try_read().unwrap();
    let second = RwLockReadGuard::map(rw.try_read().unwrap(), |(_, list)| list);
    let third = RwLockReadGuard::try_map(rw.try_read().unwrap(), |(_, list)| list.first()).unwrap();
    assert_eq!(first.0 + second[0] + *third, 5);
    let mut writer = pin!(rw.write());
    assert!(poll_once(writer.as_mut()).is_pending());
    drop((first, second, third));
    let Poll::Ready(mut guard) = poll_once(writer.as_mut()) else { panic!("handed over") };
    guard.1.push(3);
    let reader = RwLockWriteGuard::downgrade(guard);
    assert_eq!(reader.1, [2, 3]);
    drop(reader);
    let mut list = RwLockWriteGuard::map(rw.try_write().unwrap(), |(_, list)| list);
    list.push(4);
    let mut last = crate::RwLockMappedWriteGuard::map(list, |list| list.last_mut().unwrap());
    *last *= 10;
    drop(last);
    assert_eq!(rw.try_read().unwrap().1, [2, 3, 40]);
}

#[test]
fn owned_guards_keep_the_lock_alive() {
    let mutex = Rc::new(Mutex::new(1u32));
    let weak = Rc::downgrade(&mutex);
    let mut guard = ready(mutex.clone().lock_owned());
    drop(mutex);
    *guard += 1;
    assert!(guard.mutex().try_lock().is_err());
    assert_eq!(*guard, 2);
    drop(guard);
    assert!(weak.upgrade().is_none(), "the guard held the last Rc");

    let rw = Rc::new(RwLock::new(String::new()));
    let mut writer = ready(rw.clone().write_owned());
    writer.push('w');
    let reader = writer.downgrade();
    assert_eq!(*reader, "w");
}
