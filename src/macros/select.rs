//! `select!`: waits on several futures at once and runs the handler of the first
//! to finish whose output matches its pattern.

/// Waits on several futures at once, on the current task, and runs the handler of
/// the first one to finish whose output matches its pattern; the other futures are
/// then dropped (before the handler runs, so it may use what they borrowed).
///
/// ```text
/// select! {
///     [biased;]
///     <pattern> = <future> [, if <precondition>] => <handler>,
///     ...
///     [else => <expression>]
/// }
/// ```
///
/// 1. Every precondition is evaluated, in order; a branch whose precondition is
///    false is disabled for this `select!`.
/// 2. Every future expression is evaluated, in order, disabled branches' too (a
///    disabled branch's future is dropped unpolled); each is pinned in place on the
///    stack, not boxed, and need not be `Unpin` or fused.
/// 3. The enabled futures are polled, from a random branch onward (fairness: no
///    branch that is always ready starves the others), or in written order after
///    `biased;`. The first output that matches its pattern selects its branch. An
///    output that does not match (`Some(v) = rx.recv()` getting `None`) disables
///    that branch, and the others keep running.
/// 4. When every branch is disabled, the `else` expression is the result; without
///    an `else`, `select!` panics.
///
/// A handler is a block, or an expression followed by a comma. It runs in the
/// enclosing function: `return`, `?`, `break` and `continue` there act as written.
///
/// ```
/// use std::time::Duration;
/// use wakeful::time::sleep;
///
/// wakeful::block_on(async {
///     let mut ticks = 0;
///     let stop = sleep(Duration::from_millis(20));
///     let mut stop = std::pin::pin!(stop);
///     loop {
///         wakeful::select! {
///             _ = &mut stop => break,
///             _ = sleep(Duration::from_millis(1)), if ticks < 3 => ticks += 1,
///         }
///     }
///     assert_eq!(ticks, 3);
///
///     let mut values = vec![1, 2];
///     let got = wakeful::select! {
///         Some(v) = async { values.pop() } => v,
///         else => 0,
///     };
///     assert_eq!(got, 2);
/// });
/// ```
///
/// # Cancellation
///
/// Dropping the `select!` (the future of the enclosing `async` block) drops every
/// branch's future. A `select!` in a loop drops the futures of the branches that
/// lost at each turn: use cancel-safe futures there (the docs of each `async fn`
/// say whether it is), or pin one outside the loop and select on `&mut` it.
///
/// # Differences from tokio
/// - At most 64 branches (tokio allows 64 too).
/// - A pattern is first tried against a reference to the output, to decide whether
///   the branch is taken: in a crate of edition 2024, a `mut` or `ref` binding
///   *inside* a pattern (`Some(mut v) = ...`) is refused there by the compiler;
///   bind plainly and rebind in the handler (`Some(v) = ... => { let mut v = v; .. }`).
///   A top-level `mut v = ...` works in every edition.
/// - The random start comes from a per-thread xorshift generator, not tokio's.
#[macro_export]
macro_rules! select {
    (biased; $($branches:tt)*) => {
        $crate::__select_parse!(@ { true; [(0 _0) (1 _1) (2 _2) (3 _3) (4 _4) (5 _5) (6 _6) (7 _7) (8 _8) (9 _9) (10 _10) (11 _11) (12 _12) (13 _13) (14 _14) (15 _15) (16 _16) (17 _17) (18 _18) (19 _19) (20 _20) (21 _21) (22 _22) (23 _23) (24 _24) (25 _25) (26 _26) (27 _27) (28 _28) (29 _29) (30 _30) (31 _31) (32 _32) (33 _33) (34 _34) (35 _35) (36 _36) (37 _37) (38 _38) (39 _39) (40 _40) (41 _41) (42 _42) (43 _43) (44 _44) (45 _45) (46 _46) (47 _47) (48 _48) (49 _49) (50 _50) (51 _51) (52 _52) (53 _53) (54 _54) (55 _55) (56 _56) (57 _57) (58 _58) (59 _59) (60 _60) (61 _61) (62 _62) (63 _63)]; []; [] } $($branches)*)
    };
    ($($branches:tt)*) => {
        $crate::__select_parse!(@ { false; [(0 _0) (1 _1) (2 _2) (3 _3) (4 _4) (5 _5) (6 _6) (7 _7) (8 _8) (9 _9) (10 _10) (11 _11) (12 _12) (13 _13) (14 _14) (15 _15) (16 _16) (17 _17) (18 _18) (19 _19) (20 _20) (21 _21) (22 _22) (23 _23) (24 _24) (25 _25) (26 _26) (27 _27) (28 _28) (29 _29) (30 _30) (31 _31) (32 _32) (33 _33) (34 _34) (35 _35) (36 _36) (37 _37) (38 _38) (39 _39) (40 _40) (41 _41) (42 _42) (43 _43) (44 _44) (45 _45) (46 _46) (47 _47) (48 _48) (49 _49) (50 _50) (51 _51) (52 _52) (53 _53) (54 _54) (55 _55) (56 _56) (57 _57) (58 _58) (59 _59) (60 _60) (61 _61) (62 _62) (63 _63)]; []; [] } $($branches)*)
    };
}

/// Parses `select!`'s branches one by one, numbering them: `[(bit name) ...]` holds
/// the unused numbers; each parsed branch becomes `(bit name [pat] [future] [cond]
/// [handler])`.
#[doc(hidden)]
#[macro_export]
macro_rules! __select_parse {
    // The handler of the branch just parsed: a block (comma optional) or an expression.
    (@handler { $b:tt; $ids:tt; [$($done:tt)*]; $else:tt } ($($branch:tt)*) $h:block, $($rest:tt)*) => {
        $crate::__select_parse!(@ { $b; $ids; [$($done)* ($($branch)* [$h])]; $else } $($rest)*)
    };
    (@handler { $b:tt; $ids:tt; [$($done:tt)*]; $else:tt } ($($branch:tt)*) $h:block $($rest:tt)*) => {
        $crate::__select_parse!(@ { $b; $ids; [$($done)* ($($branch)* [$h])]; $else } $($rest)*)
    };
    (@handler { $b:tt; $ids:tt; [$($done:tt)*]; $else:tt } ($($branch:tt)*) $h:expr, $($rest:tt)*) => {
        $crate::__select_parse!(@ { $b; $ids; [$($done)* ($($branch)* [$h])]; $else } $($rest)*)
    };
    (@handler { $b:tt; $ids:tt; [$($done:tt)*]; $else:tt } ($($branch:tt)*) $h:expr) => {
        $crate::__select_parse!(@ { $b; $ids; [$($done)* ($($branch)* [$h])]; $else })
    };
    // All parsed.
    (@ { $b:tt; $ids:tt; $done:tt; $else:tt }) => {
        $crate::__select_expand!($b; $done; $else)
    };
    // `else`, once.
    (@ { $b:tt; $ids:tt; $done:tt; [] } else => $e:block, $($rest:tt)*) => {
        $crate::__select_parse!(@ { $b; $ids; $done; [$e] } $($rest)*)
    };
    (@ { $b:tt; $ids:tt; $done:tt; [] } else => $e:block $($rest:tt)*) => {
        $crate::__select_parse!(@ { $b; $ids; $done; [$e] } $($rest)*)
    };
    (@ { $b:tt; $ids:tt; $done:tt; [] } else => $e:expr $(, $($rest:tt)*)?) => {
        $crate::__select_parse!(@ { $b; $ids; $done; [$e] } $($($rest)*)?)
    };
    (@ { $b:tt; $ids:tt; $done:tt; [$($else:tt)+] } else $($rest:tt)*) => {
        ::core::compile_error!("select! takes at most one `else` branch")
    };
    (@ { $b:tt; []; $done:tt; $else:tt } $($rest:tt)+) => {
        ::core::compile_error!("select! takes at most 64 branches")
    };
    // `pattern = future, if condition =>` and `pattern = future =>`.
    (@ { $b:tt; [($n:tt $id:ident) $($ids:tt)*]; $done:tt; $else:tt }
        $p:pat = $f:expr, if $c:expr => $($rest:tt)*) => {
        $crate::__select_parse!(@handler { $b; [$($ids)*]; $done; $else } ($n $id [$p] [$f] [$c]) $($rest)*)
    };
    (@ { $b:tt; [($n:tt $id:ident) $($ids:tt)*]; $done:tt; $else:tt } $p:pat = $f:expr => $($rest:tt)*) => {
        $crate::__select_parse!(@handler { $b; [$($ids)*]; $done; $else } ($n $id [$p] [$f] [true]) $($rest)*)
    };
    (@ $state:tt $($rest:tt)+) => {
        ::core::compile_error!(::core::concat!(
            "select!: expected `pattern = future [, if condition] => handler` or `else => expression`, found `",
            ::core::stringify!($($rest)+), "`"
        ))
    };
}

/// Expands parsed branches (see `__select_parse`). Each future lives in a local of
/// its own, pinned with `pin!`; the output travels out of the polling closure in a
/// local enum with one variant per branch, so that the handlers run outside it.
#[doc(hidden)]
#[macro_export]
macro_rules! __select_expand {
    ($biased:tt; [$( ($n:tt $id:ident [$p:pat] [$f:expr] [$c:expr] [$h:tt]) )*]; [$($else:expr)?]) => {{
        #[allow(non_camel_case_types, dead_code)]
        enum __Out<$($id,)*> { $($id($id),)* Disabled }
        // Bit n: branch n is disabled (precondition false, or its future finished).
        let mut __disabled: u64 = 0;
        $( if !$c { __disabled |= 1u64 << $n; } )*
        let __out = {
            $( let mut $id = ::core::pin::pin!(::core::future::IntoFuture::into_future($f)); )*
            let __count: u32 = <[u32]>::len(&[$($n),*]) as u32;
            ::core::future::poll_fn(|__cx| {
                let __start: u32 = if $biased { 0 } else { $crate::__private::random_below(__count) };
                let mut __pending = false;
                for __i in 0..__count {
                    let __branch = (__start + __i) % __count;
                    $(
                        if __branch == $n && __disabled & (1u64 << $n) == 0 {
                            match ::core::future::Future::poll($id.as_mut(), __cx) {
                                ::core::task::Poll::Ready(__value) => {
                                    __disabled |= 1u64 << $n;
                                    #[allow(unused_variables, unused_mut, unreachable_patterns, irrefutable_let_patterns)]
                                    let __matches = match &__value { $p => true, _ => false };
                                    if __matches {
                                        return ::core::task::Poll::Ready(__Out::$id(__value));
                                    }
                                }
                                ::core::task::Poll::Pending => __pending = true,
                            }
                        }
                    )*
                }
                if __pending {
                    ::core::task::Poll::Pending
                } else {
                    ::core::task::Poll::Ready(__Out::Disabled)
                }
            })
            .await
        };
        match __out {
            $( __Out::$id($p) => $h, )*
            __Out::Disabled => $crate::__select_else!($($else)?),
            #[allow(unreachable_patterns)]
            _ => ::core::unreachable!("select!: an output that matched its pattern no longer does"),
        }
    }};
}

/// The `else` expression, or the panic tokio's `select!` also raises without one.
#[doc(hidden)]
#[macro_export]
macro_rules! __select_else {
    () => {
        ::core::panic!("all branches are disabled and there is no else branch")
    };
    ($else:expr) => {
        $else
    };
}
