//! The single TCP read and write operations: timeouts on a silent peer, vectored and
//! `try_` forms, `peek`, urgent data, a cancelled `read_to_end`, and vectored writes
//! of more slices than `IOV_MAX`.

mod util;

use std::io::{self, IoSlice, IoSliceMut};
use std::time::{Duration, Instant};

use util::run;
use wakeful::net::{TcpListener, TcpStream};
use wakeful::time::timeout;

#[test]
fn read_timeout_fires_on_a_silent_peer() {
    run(async {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let mut client = TcpStream::connect(listener.local_addr()?).await?;
        let (_silent, _) = listener.accept().await?;
        let started = Instant::now();
        let mut buf = [0; 1];
        let result = timeout(Duration::from_millis(30), client.read(&mut buf)).await;
        assert!(result.is_err(), "the read must time out");
        assert!(started.elapsed() >= Duration::from_millis(30));
        io::Result::Ok(())
    })
    .unwrap();
}

#[test]
fn vectored_io_peek_and_try_operations() {
    run(async {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let mut client = TcpStream::connect(listener.local_addr()?).await?;
        let (mut server, _) = listener.accept().await?;

        let mut buf = [0; 8];
        let err = server.try_read(&mut buf).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::WouldBlock, "nothing to read yet");

        client.writable().await?;
        let n = client.write_vectored(&[IoSlice::new(b"ab"), IoSlice::new(b"cd")]).await?;
        assert_eq!(n, 4);
        server.readable().await?;
        assert_eq!(server.peek(&mut buf).await?, 4, "peek sees the bytes");
        let (mut first, mut second) = ([0; 1], [0; 3]);
        let n =
            server.read_vectored(&mut [IoSliceMut::new(&mut first), IoSliceMut::new(&mut second)]).await?;
        assert_eq!((n, &first, &second), (4, b"a", b"bcd"));

        assert_eq!(client.try_write(b"xyz")?, 3);
        server.readable().await?;
        assert_eq!(server.try_read(&mut buf)?, 3);
        assert_eq!(&buf[..3], b"xyz");
        io::Result::Ok(())
    })
    .unwrap();
}

#[test]
fn urgent_data_does_not_stall_reads() {
    // A read stops short at TCP's urgent mark with data still queued: the short read
    // must not be taken for "drained", or the rest would never be read.
    util::with_watchdog(|| {
        run(async {
            let listener = TcpListener::bind("127.0.0.1:0").await?;
            let client = std::net::TcpStream::connect(listener.local_addr()?)?;
            let (mut server, _) = listener.accept().await?;
            let fd = std::os::fd::AsRawFd::as_raw_fd(&client);
            for (bytes, flags) in [(&b"abc"[..], 0), (b"X", libc::MSG_OOB), (b"def", 0)] {
                // SAFETY: sends from a live buffer on a live socket.
                let sent = unsafe { libc::send(fd, bytes.as_ptr().cast(), bytes.len(), flags) };
                assert_eq!(sent, bytes.len() as isize);
            }
            let mut received = Vec::new();
            while received.len() < 6 {
                let mut buf = [0; 64];
                let n =
                    timeout(Duration::from_secs(5), server.read(&mut buf)).await.expect("read stalled")?;
                received.extend_from_slice(&buf[..n]);
            }
            assert_eq!(received, b"abcdef", "the urgent byte is out of band; the rest arrives");
            io::Result::Ok(())
        })
        .unwrap();
    });
}

#[test]
fn read_to_end_cancelled_keeps_exactly_what_was_read() {
    run(async {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let mut client = TcpStream::connect(listener.local_addr()?).await?;
        let (mut server, _) = listener.accept().await?;
        client.write_all(b"12345").await?;
        let mut buf = Vec::new();
        let cut_short = timeout(Duration::from_millis(50), server.read_to_end(&mut buf)).await;
        assert!(cut_short.is_err(), "no end of stream yet");
        assert_eq!(buf, b"12345", "no padding left behind by the cancelled read");
        io::Result::Ok(())
    })
    .unwrap();
}

#[test]
fn vectored_writes_beyond_iov_max_are_partial_not_errors() {
    run(async {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let mut client = TcpStream::connect(listener.local_addr()?).await?;
        let _server = listener.accept().await?;
        let bytes = vec![7u8; 2000];
        let slices: Vec<IoSlice<'_>> = bytes.chunks(1).map(IoSlice::new).collect();
        let n = client.write_vectored(&slices).await?;
        assert!((1..=1024).contains(&n), "wrote {n} of 2000 one-byte slices");
        io::Result::Ok(())
    })
    .unwrap();
}
