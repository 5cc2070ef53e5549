;; Unbounded recursion: must stop with a call-stack-exhausted trap.
(module
  (func $f (export "rec") (call $f))
  (func $g (export "rec_locals") (param i64) (local f64 f64 f64 f64 f64 f64 f64 f64)
    (call $g (i64.add (local.get 0) (i64.const 1)))))
