//! `AsyncReadExt` / `AsyncWriteExt`: typed reads and writes in both byte orders,
//! `read_buf`, `write_all_buf`, end of stream and cancellation, each scenario run on
//! tokio's io utilities too where wakeful claims the same behaviour.
#![cfg(feature = "futures-io")]

mod io_mock;
mod util;

use std::io;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::task::Poll;

use io_mock::{Script, Step};
use util::{poll_once, run};
use wakeful::io::{AsyncReadExt, AsyncWriteExt};
use wakeful::net::UnixStream;

/// For each type: writes a value with wakeful's and tokio's methods (both byte
/// orders), checks the bytes against the standard library's, and reads them back
/// with both.
macro_rules! round_trip {
    ($($value:expr => $write:ident $write_le:ident $read:ident $read_le:ident;)*) => {$(
        let value = $value;
        let mut ours = Script::default();
        ours.$write(value).await?;
        ours.$write_le(value).await?;
        let mut theirs = Script::default();
        tokio::io::AsyncWriteExt::$write(&mut theirs, value).await?;
        tokio::io::AsyncWriteExt::$write_le(&mut theirs, value).await?;
        let expected = [&value.to_be_bytes()[..], &value.to_le_bytes()[..]].concat();
        assert_eq!(ours.written, expected, "{} writes big- then little-endian", stringify!($write));
        assert_eq!(theirs.written, expected, "tokio's {}", stringify!($write));

        let mut ours = Script::reading([Step::Data(expected.clone())]);
        assert_eq!(ours.$read().await?.to_bits(), value.to_bits(), "{}", stringify!($read));
        assert_eq!(ours.$read_le().await?.to_bits(), value.to_bits(), "{}", stringify!($read_le));
        let mut theirs = Script::reading([Step::Data(expected)]);
        assert_eq!(tokio::io::AsyncReadExt::$read(&mut theirs).await?.to_bits(), value.to_bits());
        assert_eq!(tokio::io::AsyncReadExt::$read_le(&mut theirs).await?.to_bits(), value.to_bits());
    )*};
}

/// `to_bits` for integers too, so that floats (NaN included) compare by bits.
trait Bits: Copy {
    fn to_bits(self) -> u128;
}

macro_rules! int_bits {
    ($($ty:ty)*) => {$(impl Bits for $ty { fn to_bits(self) -> u128 { self as u128 } })*};
}
int_bits!(u8 i8 u16 i16 u32 i32 u64 i64 u128 i128);

impl Bits for f32 {
    fn to_bits(self) -> u128 {
        f32::to_bits(self) as u128
    }
}

impl Bits for f64 {
    fn to_bits(self) -> u128 {
        f64::to_bits(self) as u128
    }
}

#[test]
fn typed_reads_and_writes_use_the_byte_order_in_their_names_as_tokio() {
    run(async {
        round_trip! {
            0x0102u16 => write_u16 write_u16_le read_u16 read_u16_le;
            -0x0102i16 => write_i16 write_i16_le read_i16 read_i16_le;
            0x0102_0304u32 => write_u32 write_u32_le read_u32 read_u32_le;
            -0x0102_0304i32 => write_i32 write_i32_le read_i32 read_i32_le;
            0x0102_0304_0506_0708u64 => write_u64 write_u64_le read_u64 read_u64_le;
            i64::MIN + 7 => write_i64 write_i64_le read_i64 read_i64_le;
            u128::MAX - 0xfe => write_u128 write_u128_le read_u128 read_u128_le;
            i128::MIN + 0x0102 => write_i128 write_i128_le read_i128 read_i128_le;
            -1.5e-3f32 => write_f32 write_f32_le read_f32 read_f32_le;
            f64::from_bits(0x7ff8_0000_0000_0123) => write_f64 write_f64_le read_f64 read_f64_le;
        }
        let mut bytes = Script::default();
        bytes.write_u8(0xfe).await?;
        bytes.write_i8(-2).await?;
        assert_eq!(bytes.written, [0xfe, 0xfe]);
        let mut bytes = Script::reading([Step::Data(vec![0xfe, 0xfe])]);
        assert_eq!((bytes.read_u8().await?, bytes.read_i8().await?), (0xfe, -2));
        io::Result::Ok(())
    })
    .unwrap();
}

#[test]
fn typed_reads_split_over_many_reads_and_pendings() {
    run(async {
        let data: Vec<u8> = (1..=8).collect();
        let mut ours = Script::chunked(&data, 1);
        assert_eq!(ours.read_u64().await?, 0x0102_0304_0506_0708);
        // Writes accepted a byte at a time, with a Pending between each.
        let steps = (0..8).flat_map(|_| [Step::Pending, Step::Data(vec![0])]);
        let mut slow = Script::writing(steps);
        slow.write_u64_le(0x0102_0304_0506_0708).await?;
        assert_eq!(slow.written, [8, 7, 6, 5, 4, 3, 2, 1]);
        io::Result::Ok(())
    })
    .unwrap();
}

/// Every typed read at end of stream (empty, or one byte short) fails with
/// `UnexpectedEof`, as tokio's.
#[test]
fn every_typed_read_at_end_of_stream_is_unexpected_eof_as_tokio() {
    macro_rules! at_eof {
        ($($read:ident $size:expr;)*) => {$(
            for have in [0, $size - 1] {
                let mut ours = Script::reading([Step::Data(vec![7; have])]);
                let err = ours.$read().await.map(|_| ()).unwrap_err();
                assert_eq!(err.kind(), io::ErrorKind::UnexpectedEof, "{} with {have} bytes", stringify!($read));
                let mut theirs = Script::reading([Step::Data(vec![7; have])]);
                let err = tokio::io::AsyncReadExt::$read(&mut theirs).await.map(|_| ()).unwrap_err();
                assert_eq!(err.kind(), io::ErrorKind::UnexpectedEof, "tokio's {}", stringify!($read));
            }
        )*};
    }
    run(async {
        at_eof! {
            read_u8 1; read_i8 1;
            read_u16 2; read_u16_le 2; read_i16 2; read_i16_le 2;
            read_u32 4; read_u32_le 4; read_i32 4; read_i32_le 4;
            read_u64 8; read_u64_le 8; read_i64 8; read_i64_le 8;
            read_u128 16; read_u128_le 16; read_i128 16; read_i128_le 16;
            read_f32 4; read_f32_le 4; read_f64 8; read_f64_le 8;
        }
        io::Result::Ok(())
    })
    .unwrap();
}

/// `read_u32` is not cancel-safe, as tokio's: dropped after one byte arrived, that
/// byte is gone and the next read starts after it.
#[test]
fn read_u32_dropped_after_one_byte_loses_that_byte_as_tokio() {
    let steps = || [Step::Data(vec![0xaa]), Step::Pending, Step::Data(vec![1, 2, 3, 4, 5])];
    let mut ours = Script::reading(steps());
    {
        let mut read = Box::pin(ours.read_u32());
        assert!(poll_once(&mut read).is_pending());
    }
    let mut theirs = Script::reading(steps());
    {
        let mut read = Box::pin(tokio::io::AsyncReadExt::read_u32(&mut theirs));
        assert!(poll_once(&mut read).is_pending());
    }
    let ours_next = run(ours.read_u32()).unwrap();
    let theirs_next = run(tokio::io::AsyncReadExt::read_u32(&mut theirs)).unwrap();
    assert_eq!(ours_next, 0x0102_0304, "0xaa was consumed by the dropped read");
    assert_eq!(theirs_next, ours_next);
}

/// `read_u8` is cancel-safe: dropped while waiting, nothing was read.
#[test]
fn read_u8_dropped_while_waiting_loses_nothing() {
    let mut script = Script::reading([Step::Pending, Step::Data(vec![9])]);
    {
        let mut read = Box::pin(script.read_u8());
        assert!(poll_once(&mut read).is_pending());
    }
    assert_eq!(run(script.read_u8()).unwrap(), 9);
}

#[test]
fn read_buf_appends_into_spare_capacity_and_reserves_when_full() {
    run(async {
        let mut script = Script::reading([Step::Data(b"abc".to_vec()), Step::Data(vec![b'd'; 100])]);
        let mut buf = Vec::with_capacity(2);
        buf.push(b'>');
        assert_eq!(script.read_buf(&mut buf).await?, 1, "one byte of spare capacity");
        assert_eq!(buf, b">a");
        assert_eq!(script.read_buf(&mut buf).await?, 2, "full: it reserved room first");
        assert_eq!(buf, b">abc");
        let n = script.read_buf(&mut buf).await?;
        assert!(n > 0 && buf.len() == 4 + n && buf[4..].iter().all(|&b| b == b'd'));
        let mut rest = Vec::new();
        while script.read_buf(&mut rest).await? != 0 {}
        assert_eq!(4 + n + rest.len(), 104, "nothing lost, and Ok(0) at end of stream");
        io::Result::Ok(())
    })
    .unwrap();
}

#[test]
fn read_buf_on_a_socket_matches_tokio_read_buf_on_a_vec() {
    run(async {
        let (mut a, mut b) = UnixStream::pair()?;
        a.write_all(b"socket bytes").await?;
        drop(a);
        let mut ours = b"pre:".to_vec();
        while b.read_buf(&mut ours).await? != 0 {}
        let mut theirs_reader = Script::reading([Step::Data(b"socket bytes".to_vec())]);
        let mut theirs = b"pre:".to_vec();
        while tokio::io::AsyncReadExt::read_buf(&mut theirs_reader, &mut theirs).await? != 0 {}
        assert_eq!(ours, theirs);
        assert_eq!(ours, b"pre:socket bytes");
        io::Result::Ok(())
    })
    .unwrap();
}

/// Dropped while waiting, after an error, or when the reader panics, `read_buf`
/// leaves the vector exactly as it was: no zeroed bytes appear.
#[test]
fn read_buf_cancelled_failed_or_panicking_leaves_the_vec_unchanged() {
    let mut script =
        Script::reading([Step::Pending, Step::Fail(io::ErrorKind::ConnectionReset), Step::Panic]);
    let mut buf = b"kept".to_vec();
    {
        let mut read = Box::pin(script.read_buf(&mut buf));
        assert!(poll_once(&mut read).is_pending());
    }
    assert_eq!(buf, b"kept");
    let err = run(script.read_buf(&mut buf)).unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::ConnectionReset);
    assert_eq!(buf, b"kept");
    let panicked = catch_unwind(AssertUnwindSafe(|| {
        let mut read = Box::pin(script.read_buf(&mut buf));
        let _ = poll_once(&mut read);
    }));
    assert!(panicked.is_err());
    assert_eq!(buf, b"kept");
}

/// A reader claiming more bytes than it was given gets an error, not a panic.
#[test]
fn read_buf_rejects_a_reader_that_overstates_its_read() {
    struct Liar;
    impl wakeful::io::AsyncRead for Liar {
        fn poll_read(
            self: std::pin::Pin<&mut Self>,
            _: &mut std::task::Context<'_>,
            buf: &mut [u8],
        ) -> Poll<io::Result<usize>> {
            Poll::Ready(Ok(buf.len() + 1))
        }
    }
    let mut buf = Vec::new();
    let err = run(Liar.read_buf(&mut buf)).unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::InvalidData);
    assert!(buf.is_empty());
}

/// `write_all_buf` advances the caller's slice by what was written, so a dropped
/// call resumes where it stopped, as tokio's.
#[test]
fn write_all_buf_dropped_midway_resumes_from_the_slice() {
    let steps = || [Step::Data(vec![0; 3]), Step::Pending, Step::Data(vec![0; 2])];
    let mut ours = Script::writing(steps());
    let mut data: &[u8] = b"0123456789";
    {
        let mut write = Box::pin(ours.write_all_buf(&mut data));
        assert!(poll_once(&mut write).is_pending());
    }
    assert_eq!(data, b"3456789", "the slice shows what is left");
    run(ours.write_all_buf(&mut data)).unwrap();
    assert!(data.is_empty());
    assert_eq!(ours.written, b"0123456789", "nothing lost, nothing twice");

    let mut theirs = Script::writing(steps());
    let mut data: &[u8] = b"0123456789";
    {
        let mut write = Box::pin(tokio::io::AsyncWriteExt::write_all_buf(&mut theirs, &mut data));
        assert!(poll_once(&mut write).is_pending());
    }
    assert_eq!(data, b"3456789", "tokio's too");
}

#[test]
fn typed_write_to_a_writer_that_accepts_nothing_is_write_zero() {
    let mut script = Script::writing([Step::Data(vec![0; 1]), Step::Data(Vec::new())]);
    let err = run(script.write_u32(1)).unwrap_err();
    assert_eq!(err.kind(), io::ErrorKind::WriteZero);
    assert_eq!(script.written, [0], "one byte went before the writer stopped");
}
