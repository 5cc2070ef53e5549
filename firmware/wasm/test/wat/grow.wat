;; Grows memory one page at a time until memory.grow fails; returns the
;; number of successful grows (or traps when the embedder asks for it).
(module
  (memory 1)
  (func (export "grow_all") (result i32) (local $n i32)
    (block $done
      (loop $l
        (br_if $done (i32.eq (memory.grow (i32.const 1)) (i32.const -1)))
        (local.set $n (i32.add (local.get $n) (i32.const 1)))
        (br $l)))
    (local.get $n))
  (func (export "touch_last") (result i32)
    ;; store/load at the last byte of the current memory
    (i32.store8 (i32.sub (i32.mul (memory.size) (i32.const 65536)) (i32.const 1)) (i32.const 77))
    (i32.load8_u (i32.sub (i32.mul (memory.size) (i32.const 65536)) (i32.const 1)))))
