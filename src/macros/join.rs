//! `join!` and `try_join!`: await several futures at once, on the current task.

/// Awaits several futures concurrently on the current task and returns a tuple of
/// their outputs, in the order written. Each future is pinned in place on the stack.
///
/// ```
/// use wakeful::task::yield_now;
///
/// wakeful::block_on(async {
///     let (a, b) = wakeful::join!(async { yield_now().await; 1 }, async { "two" });
///     assert_eq!((a, b), (1, "two"));
/// });
/// ```
///
/// Dropping the `join!` drops every future not yet finished, and every output not
/// yet returned.
///
/// # Differences from tokio
/// - At most 64 futures.
/// - Futures are polled in the order written at each wake (tokio starts each round
///   at the next future); there is no `biased;` form.
#[macro_export]
macro_rules! join {
    ($($future:expr),* $(,)?) => {
        $crate::__join_parse!(join [(0 _0) (1 _1) (2 _2) (3 _3) (4 _4) (5 _5) (6 _6) (7 _7) (8 _8) (9 _9) (10 _10) (11 _11) (12 _12) (13 _13) (14 _14) (15 _15) (16 _16) (17 _17) (18 _18) (19 _19) (20 _20) (21 _21) (22 _22) (23 _23) (24 _24) (25 _25) (26 _26) (27 _27) (28 _28) (29 _29) (30 _30) (31 _31) (32 _32) (33 _33) (34 _34) (35 _35) (36 _36) (37 _37) (38 _38) (39 _39) (40 _40) (41 _41) (42 _42) (43 _43) (44 _44) (45 _45) (46 _46) (47 _47) (48 _48) (49 _49) (50 _50) (51 _51) (52 _52) (53 _53) (54 _54) (55 _55) (56 _56) (57 _57) (58 _58) (59 _59) (60 _60) (61 _61) (62 _62) (63 _63)] [] $($future,)*)
    };
}

/// Awaits several futures returning `Result<_, E>` (the same `E`) concurrently, and
/// returns `Ok` with a tuple of their values, or the first `Err` as soon as it comes:
/// the futures not yet finished are then dropped.
///
/// ```
/// use wakeful::task::yield_now;
///
/// wakeful::block_on(async {
///     let ok: Result<_, &str> = wakeful::try_join!(async { Ok(1) }, async { Ok(2) });
///     assert_eq!(ok, Ok((1, 2)));
///
///     let err = wakeful::try_join!(
///         async { loop { yield_now().await } Ok::<(), &str>(()) },
///         async { Err::<(), _>("failed") },
///     );
///     assert_eq!(err, Err("failed"));
/// });
/// ```
///
/// # Differences from tokio
/// - As for [`join!`](crate::join!).
#[macro_export]
macro_rules! try_join {
    ($($future:expr),* $(,)?) => {
        $crate::__join_parse!(try_join [(0 _0) (1 _1) (2 _2) (3 _3) (4 _4) (5 _5) (6 _6) (7 _7) (8 _8) (9 _9) (10 _10) (11 _11) (12 _12) (13 _13) (14 _14) (15 _15) (16 _16) (17 _17) (18 _18) (19 _19) (20 _20) (21 _21) (22 _22) (23 _23) (24 _24) (25 _25) (26 _26) (27 _27) (28 _28) (29 _29) (30 _30) (31 _31) (32 _32) (33 _33) (34 _34) (35 _35) (36 _36) (37 _37) (38 _38) (39 _39) (40 _40) (41 _41) (42 _42) (43 _43) (44 _44) (45 _45) (46 _46) (47 _47) (48 _48) (49 _49) (50 _50) (51 _51) (52 _52) (53 _53) (54 _54) (55 _55) (56 _56) (57 _57) (58 _58) (59 _59) (60 _60) (61 _61) (62 _62) (63 _63)] [] $($future,)*)
    };
}

/// Names each future of `join!` / `try_join!` from the list of unused names.
#[doc(hidden)]
#[macro_export]
macro_rules! __join_parse {
    ($kind:ident $ids:tt [$($done:tt)*]) => {
        $crate::__join_expand!($kind [$($done)*])
    };
    ($kind:ident [($n:tt $id:ident) $($ids:tt)*] [$($done:tt)*] $future:expr, $($rest:tt)*) => {
        $crate::__join_parse!($kind [$($ids)*] [$($done)* ($id [$future])] $($rest)*)
    };
    ($kind:ident [] $done:tt $($rest:tt)+) => {
        ::core::compile_error!("join! and try_join! take at most 64 futures")
    };
}

/// Each future in a `MaybeDone` of its own, pinned on the stack, polled until all
/// are done (or, in `try_join!`, one fails).
#[doc(hidden)]
#[macro_export]
macro_rules! __join_expand {
    (join [$( ($id:ident [$future:expr]) )*]) => {{
        $( let mut $id = ::core::pin::pin!($crate::__private::MaybeDone::new(
            ::core::future::IntoFuture::into_future($future)
        )); )*
        ::core::future::poll_fn(|__cx| {
            let mut __done = true;
            $( __done &= $id.as_mut().poll_done(__cx); )*
            if !__done {
                return ::core::task::Poll::Pending;
            }
            ::core::task::Poll::Ready(($(
                $id.as_mut().take().expect("join!: polled after it returned"),
            )*))
        })
        .await
    }};
    (try_join [$( ($id:ident [$future:expr]) )*]) => {{
        $( let mut $id = ::core::pin::pin!($crate::__private::MaybeDone::new(
            ::core::future::IntoFuture::into_future($future)
        )); )*
        ::core::future::poll_fn(|__cx| {
            let mut __done = true;
            $(
                match $id.as_mut().poll_try(__cx) {
                    ::core::result::Result::Ok(__finished) => __done &= __finished,
                    ::core::result::Result::Err(__err) => {
                        return ::core::task::Poll::Ready(::core::result::Result::Err(__err));
                    }
                }
            )*
            if !__done {
                return ::core::task::Poll::Pending;
            }
            ::core::task::Poll::Ready(::core::result::Result::Ok(($($id.as_mut().take_ok(),)*)))
        })
        .await
    }};
}
