/*
 * seh_copy.S - copy a buffer the caller does not own, surviving a fault.
 *
 * Windows behaviour: the Data of a user-mode RegSetValueEx reaches the
 * registry callback as the caller's own user-mode pointer. Another thread of
 * that process can unmap or protect it at any moment, so the kernel must
 * read it under structured exception handling; an unhandled fault in a
 * registry callback is a bugcheck.
 *
 * Why assembly: mingw-w64's gcc has no __try/__except for C, and its
 * __try1/__except1 macros emit fixed labels (one use per translation unit)
 * and let the compiler keep variables in registers across a jump it cannot
 * see. Here the whole guarded region is one `rep movsb` inside a function
 * whose unwind data we write ourselves: the scope table (read by the
 * kernel's __C_specific_handler) covers exactly that instruction, its filter
 * is the constant EXCEPTION_EXECUTE_HANDLER (1), and the handler returns 1.
 * Unwinding to the handler restores RSP to the post-prologue frame, so the
 * normal epilogue pops the saved RSI/RDI. ProbeForRead is not needed inside
 * the region: capture.c range-checks user addresses first, which is what
 * ProbeForRead does apart from raising.
 *
 * int hg_seh_copy(void *dst (rcx), const void *src (rdx), SIZE_T len (r8));
 * returns 0 when all len bytes were copied, 1 when reading src faulted
 * (dst then holds a prefix and must be ignored).
 */
        .text
        .globl  hg_seh_copy
        .def    hg_seh_copy; .scl 2; .type 32; .endef
        .seh_proc hg_seh_copy
hg_seh_copy:
        pushq   %rsi
        .seh_pushreg %rsi
        pushq   %rdi
        .seh_pushreg %rdi
        subq    $8, %rsp
        .seh_stackalloc 8
        .seh_endprologue
        movq    %rcx, %rdi
        movq    %rdx, %rsi
        movq    %r8, %rcx
.Lhg_copy_begin:
        rep movsb
.Lhg_copy_end:
        xorl    %eax, %eax
.Lhg_copy_return:
        addq    $8, %rsp
        popq    %rdi
        popq    %rsi
        ret
.Lhg_copy_fault:
        movl    $1, %eax
        jmp     .Lhg_copy_return

        .seh_handler __C_specific_handler, @except
        .seh_handlerdata
        .long   1                       /* SCOPE_TABLE.Count */
        .rva    .Lhg_copy_begin         /* BeginAddress */
        .rva    .Lhg_copy_end           /* EndAddress (exclusive) */
        .long   1                       /* HandlerAddress: EXCEPTION_EXECUTE_HANDLER */
        .rva    .Lhg_copy_fault         /* JumpTarget */
        .text
        .seh_endproc
