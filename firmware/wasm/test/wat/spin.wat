;; Loops forever: must stop with an out-of-fuel trap.
(module
  (func (export "spin") (loop $l (br $l)))
  ;; Finite loop of $n iterations, for checking how fuel is charged.
  (func (export "count") (param $n i32) (result i32) (local $i i32)
    (block $done
      (loop $l
        (br_if $done (i32.ge_u (local.get $i) (local.get $n)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $l)))
    (local.get $i)))
