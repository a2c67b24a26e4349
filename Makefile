# racrt - GNU make build.
#
#   make            build the release binaries into bin/
#   make run        install missing Debian packages, build, start the default cluster
#   make test       install missing packages, build with ASan+UBSan, run every test
#                   (the fuzz harnesses too: each over its corpus and a short burst)
#   make fuzz       build the libFuzzer harnesses (clang) and fuzz each for
#                   FUZZ_SECONDS (default 60); new inputs go to FUZZ_WORK
#   make bench      build the release binaries and run the benchmarks
#   make install    install into $(PREFIX) (default /usr/local)
#   make clean
#
# Two flavours share one set of rules: FLAVOUR=rel (optimised, jemalloc,
# binaries in bin/) and FLAVOUR=san (AddressSanitizer + UBSan, system malloc
# because ASan must own the heap, binaries in build/san/bin/).

FLAVOUR ?= rel
PREFIX ?= /usr/local
CC ?= gcc

OBJDIR := build/$(FLAVOUR)/obj
ifeq ($(FLAVOUR),rel)
BINDIR := bin
OPT := -O2
SANFLAGS :=
MALLOC_LIBS := $(shell pkg-config --libs jemalloc 2>/dev/null || echo -ljemalloc)
else
BINDIR := build/$(FLAVOUR)/bin
OPT := -O1 -fno-omit-frame-pointer
SANFLAGS := -fsanitize=address,undefined -fno-sanitize-recover=undefined
MALLOC_LIBS :=
endif

ZMQ_CFLAGS := $(shell pkg-config --cflags libzmq 2>/dev/null)
ZMQ_LIBS := $(shell pkg-config --libs libzmq 2>/dev/null || echo -lzmq)
FUSE_CFLAGS := $(shell pkg-config --cflags fuse3 2>/dev/null || echo -I/usr/include/fuse3)
FUSE_LIBS := $(shell pkg-config --libs fuse3 2>/dev/null || echo -lfuse3 -lpthread)
# libblkid: racctl init probes a disk for a file system before formatting it
BLKID_CFLAGS := $(shell pkg-config --cflags blkid 2>/dev/null)
BLKID_LIBS := $(shell pkg-config --libs blkid 2>/dev/null || echo -lblkid)

# -Wformat-truncation is off: its guesses about path lengths are noise; we
# check snprintf results where truncation matters.
# Include paths follow the floors (docs/architecture.md): every file sees
# include/, lib/, shm/ and instance/; a member's own headers are found next
# to its sources; LMS's private headers only by LMS and the tests of its
# parts, the client's only by its users.
CFLAGS := -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -Wno-format-truncation -g $(OPT) $(SANFLAGS) \
	-Iinclude -Ilib -Ishm -Iinstance $(ZMQ_CFLAGS) $(BLKID_CFLAGS) $(EXTRA_CFLAGS)
LDFLAGS := $(SANFLAGS) $(EXTRA_LDFLAGS)
LIBS := $(ZMQ_LIBS) -liniparser $(BLKID_LIBS) $(MALLOC_LIBS) -lpthread

# librac: the floors every program stands on (lib/, shm/, instance/)
LIB_SRCS := $(wildcard lib/*.c shm/*.c instance/*.c)
LIB_OBJS := $(LIB_SRCS:%.c=$(OBJDIR)/%.o)
LIBRAC := $(OBJDIR)/librac.a

MEMBERS := lmon lms ckpt smon
MEMBER_BINS := $(MEMBERS:%=$(BINDIR)/rac_%)
# the lab's hung-disk drill (racctl fault disk-hang), installed with the members
HANGFS_BIN := $(BINDIR)/rac_hangfs
BINS := $(BINDIR)/racctl $(BINDIR)/racsql $(MEMBER_BINS) $(HANGFS_BIN)

UNIT_SRCS := $(wildcard tests/unit/test_*.c)
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=build/$(FLAVOUR)/tests/%)

RACCTL_SRCS := $(wildcard admin/racctl*.c)
RACSQL_SRCS := $(filter-out $(RACCTL_SRCS),$(wildcard admin/*.c))

ALL_SRCS := $(LIB_SRCS) $(wildcard lmon/*.c lms/*.c ckpt/*.c smon/*.c hangfs/*.c admin/*.c bench/*.c tests/tools/*.c) $(UNIT_SRCS)
DEPS := $(ALL_SRCS:%.c=$(OBJDIR)/%.d)

.PHONY: all bins run test unit integration bench deps install clean fuzz fuzz-bins fuzz-cc
.DEFAULT_GOAL := all

all: bins
bins: $(BINS)

$(OBJDIR)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -MMD -MP -c $< -o $@

# who may see LMS's lock table (grd.h) and the client's private header
$(OBJDIR)/tests/unit/test_grd.o $(OBJDIR)/tests/unit/test_zmtp_srv.o \
$(OBJDIR)/tests/unit/test_client.o $(OBJDIR)/tests/unit/test_bucketmap.o \
$(OBJDIR)/tests/unit/test_remaster.o: CFLAGS += -Ilms
$(OBJDIR)/admin/racctl_lock.o $(OBJDIR)/tests/unit/test_client.o: CFLAGS += -Iclient
# tests of racctl's parts see its header
$(OBJDIR)/tests/unit/test_client.o $(OBJDIR)/tests/unit/test_block.o: CFLAGS += -Iadmin

$(LIBRAC): $(LIB_OBJS)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

$(BINDIR)/racsql: $(RACSQL_SRCS:%.c=$(OBJDIR)/%.o) $(LIBRAC)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ -lsqlite3 -ledit $(LIBS)

define member_rule
$(BINDIR)/rac_$(1): $(patsubst %.c,$(OBJDIR)/%.o,$(wildcard $(1)/*.c)) $(LIBRAC)
	@mkdir -p $$(dir $$@)
	$$(CC) $$(LDFLAGS) -o $$@ $$^ $$(LIBS)
endef
$(foreach m,$(MEMBERS),$(eval $(call member_rule,$(m))))

# rac_hangfs: a FUSE file system standing in for one file (hangfs/hangfs.c);
# it needs nothing of librac
$(OBJDIR)/hangfs/%.o: CFLAGS += $(FUSE_CFLAGS)
$(HANGFS_BIN): $(patsubst %.c,$(OBJDIR)/%.o,$(wildcard hangfs/*.c))
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(FUSE_LIBS)

# the GRD test links LMS's lock table (grd_strerror() falls back to librac)
build/$(FLAVOUR)/tests/test_grd: $(OBJDIR)/tests/unit/test_grd.o $(patsubst %.c,$(OBJDIR)/%.o,$(wildcard lms/grd*.c)) $(LIBRAC)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ -lcmocka -lsqlite3 $(LIBS)

# LMON's tests: the pure IMR decision (lmon/imr.c), and LMON's decisions
# with only the files below cgs.c (lmon/lmon.h draws the layers)
$(OBJDIR)/tests/unit/test_imr.o $(OBJDIR)/tests/unit/test_lmon.o: CFLAGS += -Ilmon
build/$(FLAVOUR)/tests/test_imr: $(OBJDIR)/tests/unit/test_imr.o $(OBJDIR)/lmon/imr.o $(LIBRAC)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ -lcmocka $(LIBS)
build/$(FLAVOUR)/tests/test_lmon: $(OBJDIR)/tests/unit/test_lmon.o \
		$(patsubst %,$(OBJDIR)/lmon/%.o,state css_net css_disk css css_ctl imr imr_vote) $(LIBRAC)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ -lcmocka $(LIBS)

# LMS's native ZMTP ROUTER (lms/zmtp_srv.c, built into rac_lms with lms/*.c)
build/$(FLAVOUR)/tests/test_zmtp_srv: $(OBJDIR)/tests/unit/test_zmtp_srv.o $(OBJDIR)/lms/zmtp_srv.o $(LIBRAC)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ -lcmocka $(LIBS)

# the dumps are racctl's (admin/racctl_dump.c)
build/$(FLAVOUR)/tests/test_block: $(OBJDIR)/tests/unit/test_block.o $(OBJDIR)/admin/racctl_dump.o $(LIBRAC)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ -lcmocka -lsqlite3 $(LIBS)

# LMS's bucket map: the rendezvous hash and the diff of a membership change
build/$(FLAVOUR)/tests/test_bucketmap: $(OBJDIR)/tests/unit/test_bucketmap.o $(OBJDIR)/lms/bucketmap.o $(LIBRAC)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ -lcmocka $(LIBS)

# remastering between three in-process tables (stub transport and finish in the test)
build/$(FLAVOUR)/tests/test_remaster: $(OBJDIR)/tests/unit/test_remaster.o $(OBJDIR)/lms/remaster.o $(OBJDIR)/lms/shadow.o $(OBJDIR)/lms/bucketmap.o \
		$(patsubst %.c,$(OBJDIR)/%.o,$(wildcard lms/grd*.c)) $(LIBRAC)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ -lcmocka $(LIBS)

build/$(FLAVOUR)/tests/%: $(OBJDIR)/tests/unit/%.o $(LIBRAC)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ -lcmocka -lsqlite3 $(LIBS)

build/$(FLAVOUR)/bench/%: $(OBJDIR)/bench/%.o $(LIBRAC)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS)

$(BINDIR)/zsend: $(OBJDIR)/tests/tools/zsend.o $(LIBRAC)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS)

# ---- libracrt: the client library (include/racrt.h) -------------------------
# client/*.c and the few librac files it needs.  The static library uses the
# ordinary objects; the shared one its own -fPIC objects under $(OBJDIR)/pic
# and exports only racrt_* (client/libracrt.map).  racctl links the static
# one for `racctl lock`.
RACRT_SRCS := $(wildcard client/*.c) $(addprefix lib/,msg.c cursor.c config.c util.c \
	errors.c) instance/procs.c shm/sga.c shm/fastlock.c
RACRT_OBJS := $(RACRT_SRCS:%.c=$(OBJDIR)/%.o)
RACRT_PIC_OBJS := $(RACRT_SRCS:%.c=$(OBJDIR)/pic/%.o)
RACRT_LIBDIR := build/$(FLAVOUR)/lib
LIBRACRT := $(RACRT_LIBDIR)/libracrt.a
LIBRACRT_SO := $(RACRT_LIBDIR)/libracrt.so
RACRT_PC := $(RACRT_LIBDIR)/racrt.pc
# the client speaks ZeroMQ's wire protocol itself (client/conn.c): no libzmq
RACRT_LIBS := -liniparser -lpthread

.PHONY: racrt-pc-always

$(OBJDIR)/pic/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -fPIC -MMD -MP -c $< -o $@

$(LIBRACRT): $(RACRT_OBJS)
	@mkdir -p $(dir $@)
	rm -f $@ && ar rcs $@ $^

$(LIBRACRT_SO): $(RACRT_PIC_OBJS) client/libracrt.map
	@mkdir -p $(dir $@)
	$(CC) -shared $(LDFLAGS) -Wl,-soname,libracrt.so -Wl,--version-script=client/libracrt.map \
		-Wl,-z,defs -o $@ $(RACRT_PIC_OBJS) $(RACRT_LIBS)

# rewritten only when its text changes, so `make install PREFIX=...` gets its own
$(RACRT_PC): racrt-pc-always
	@mkdir -p $(dir $@)
	@printf '%s\n' 'prefix=$(PREFIX)' 'libdir=$${prefix}/lib' 'includedir=$${prefix}/include' '' \
		'Name: racrt' 'Description: racrt client: cluster-wide locks through the local LMS' \
		'Version: 1.0' 'Cflags: -I$${includedir}' 'Libs: -L$${libdir} -lracrt' \
		'Libs.private: $(strip $(RACRT_LIBS))' > $@.tmp
	@if cmp -s $@.tmp $@; then rm -f $@.tmp; else mv -f $@.tmp $@; fi

ifeq ($(FLAVOUR),rel)
all: $(LIBRACRT) $(LIBRACRT_SO) $(RACRT_PC)
endif

# racctl: the launcher and control command; `racctl lock` is a client of
# libracrt
$(BINDIR)/racctl: $(RACCTL_SRCS:%.c=$(OBJDIR)/%.o) $(LIBRACRT) $(LIBRAC)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS)

# test tools that are clients of the library
CLIENT_TOOLS := dlock lkchurn lkcount lkmany
$(addprefix $(BINDIR)/,$(CLIENT_TOOLS)): $(BINDIR)/%: $(OBJDIR)/tests/tools/%.o $(LIBRACRT) $(LIBRAC)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS)

build/$(FLAVOUR)/bench/bench_locks: $(OBJDIR)/bench/bench_locks.o $(OBJDIR)/bench/resp.o $(LIBRACRT) $(LIBRAC)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS)

build/$(FLAVOUR)/bench/bench_hold: $(OBJDIR)/bench/bench_hold.o $(LIBRACRT) $(LIBRAC)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBS)

build/$(FLAVOUR)/tests/test_client: $(OBJDIR)/tests/unit/test_client.o $(OBJDIR)/admin/racctl_lock.o $(LIBRACRT) $(LIBRAC)
	@mkdir -p $(dir $@)
	$(CC) $(LDFLAGS) -o $@ $^ -lcmocka $(LIBS)

deps:
	@scripts/install-deps.sh

run: deps
	@$(MAKE) --no-print-directory all
	bin/racctl up

# The test build runs under ASan and UBSan (FLAVOUR=san); the fuzz
# harnesses are built with clang (tests/fuzz/) and run over their corpora.
test: deps
	@$(MAKE) --no-print-directory FLAVOUR=san bins units build/san/bin/zsend $(addprefix build/san/bin/,$(CLIENT_TOOLS))
	@$(MAKE) --no-print-directory fuzz-bins
	@tests/run.sh --fuzz $(FUZZ_BINDIR) build/san/bin build/san/tests

units: $(UNIT_BINS)

unit: deps
	@$(MAKE) --no-print-directory FLAVOUR=san bins units
	@tests/run.sh --unit-only build/san/bin build/san/tests

integration: deps
	@$(MAKE) --no-print-directory FLAVOUR=san bins build/san/bin/zsend $(addprefix build/san/bin/,$(CLIENT_TOOLS))
	@tests/run.sh --integration-only build/san/bin build/san/tests

bench: deps
	@scripts/install-deps.sh redis-server || \
		echo "bench: no redis-server; the lock benchmarks run without their Redis baseline"
	@$(MAKE) --no-print-directory all build/rel/bench/bench_instance build/rel/bench/bench_cluster build/rel/bench/bench_locks build/rel/bench/bench_hold build/rel/bench/bench_disk build/rel/bench/bench_ctl build/rel/bench/bench_auth
	@bench/run.sh bin build/rel/bench

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/libexec/racrt
	install -m 0755 bin/racctl bin/racsql $(DESTDIR)$(PREFIX)/bin/
	install -m 0755 $(MEMBER_BINS) $(HANGFS_BIN) $(DESTDIR)$(PREFIX)/libexec/racrt/
	install -d $(DESTDIR)$(PREFIX)/include $(DESTDIR)$(PREFIX)/lib/pkgconfig
	install -m 0644 include/racrt.h $(DESTDIR)$(PREFIX)/include/
	install -m 0644 $(LIBRACRT) $(DESTDIR)$(PREFIX)/lib/
	install -m 0755 $(LIBRACRT_SO) $(DESTDIR)$(PREFIX)/lib/
	install -m 0644 $(RACRT_PC) $(DESTDIR)$(PREFIX)/lib/pkgconfig/

clean:
	rm -rf build bin

# ---- fuzzing (tests/fuzz/) ----------------------------------------------------
# One libFuzzer harness per decoder of outside bytes, built with clang
# (-fsanitize=fuzzer,address,undefined) from their own objects of the tree.
# `make fuzz` runs each for FUZZ_SECONDS and keeps what it finds in
# FUZZ_WORK (not in git); `make test` runs each over its checked-in corpus
# (tests/fuzz/corpus/<harness>/) and a short bounded burst.
FUZZ_CC ?= clang
FUZZ_SECONDS ?= 60
FUZZ_WORK ?= build/fuzz/work
FUZZ_OBJDIR := build/fuzz/obj
FUZZ_BINDIR := build/fuzz/bin
FUZZ_SAN := -fsanitize=address,undefined -fno-sanitize-recover=undefined
FUZZ_CFLAGS := -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -g -O1 -fno-omit-frame-pointer \
	$(FUZZ_SAN) -fsanitize=fuzzer-no-link -Iinclude -Ilib -Ishm -Iinstance $(ZMQ_CFLAGS) $(BLKID_CFLAGS)
FUZZ_LIBS := $(ZMQ_LIBS) -liniparser $(BLKID_LIBS) -lsqlite3 -ledit -lpthread
FUZZ_SRCS := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BINS := $(FUZZ_SRCS:tests/fuzz/%.c=$(FUZZ_BINDIR)/%)
FUZZ_LIBRAC := $(FUZZ_OBJDIR)/librac.a
FUZZ_LIBCLIENT := $(FUZZ_OBJDIR)/libclient.a
FUZZ_LIBADMIN := $(FUZZ_OBJDIR)/libadmin.a

fuzz-cc:
	@command -v $(FUZZ_CC) >/dev/null 2>&1 || { \
		echo "*** $(FUZZ_CC) not found: the fuzz harnesses (tests/fuzz/) need clang and" >&2; \
		echo "*** its libFuzzer runtime; run scripts/install-deps.sh (Debian: clang," >&2; \
		echo "*** libclang-rt-14-dev)" >&2; exit 1; }

fuzz-bins: fuzz-cc
	@$(MAKE) --no-print-directory $(FUZZ_BINS)

fuzz: deps
	@$(MAKE) --no-print-directory fuzz-bins
	@tests/fuzz/run.sh fuzz $(FUZZ_BINDIR) $(FUZZ_WORK) $(FUZZ_SECONDS)

$(FUZZ_OBJDIR)/%.o: %.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -MMD -MP -c $< -o $@

# the seed corpora, written by the encoders (checked in; run when a format changes)
.PHONY: fuzz-corpus
fuzz-corpus: fuzz-cc $(FUZZ_OBJDIR)/tests/fuzz/gen_corpus.o $(FUZZ_LIBRAC)
	$(FUZZ_CC) $(FUZZ_SAN) -o $(FUZZ_OBJDIR)/gen_corpus $(FUZZ_OBJDIR)/tests/fuzz/gen_corpus.o \
		$(FUZZ_LIBRAC) $(FUZZ_LIBS)
	$(FUZZ_OBJDIR)/gen_corpus tests/fuzz/corpus

# the harnesses that include a file of client/, lms/ or admin/ to reach its
# static parser see that folder's headers
$(FUZZ_OBJDIR)/tests/fuzz/%.o: tests/fuzz/%.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -Iclient -Ilms -Iadmin -Itests/fuzz -MMD -MP -c $< -o $@

$(FUZZ_LIBRAC): $(LIB_SRCS:%.c=$(FUZZ_OBJDIR)/%.o)
	rm -f $@ && ar rcs $@ $^
# the client without conn.c (fuzz_zmtp_client includes it), and LMS's ROUTER
$(FUZZ_LIBCLIENT): $(patsubst %.c,$(FUZZ_OBJDIR)/%.o,$(filter-out client/conn.c,$(wildcard client/*.c)) \
		lms/zmtp_srv.c)
	rm -f $@ && ar rcs $@ $^
# racsql and racctl's parts without main(), gather.c and views_snap.c
# (fuzz_gv includes those two)
$(FUZZ_LIBADMIN): $(patsubst %.c,$(FUZZ_OBJDIR)/%.o,$(filter-out admin/racsql.c admin/racctl.c \
		admin/racctl_lock.c admin/gather.c admin/views_snap.c,$(wildcard admin/*.c)))
	rm -f $@ && ar rcs $@ $^

$(FUZZ_BINDIR)/%: $(FUZZ_OBJDIR)/tests/fuzz/%.o $(FUZZ_LIBADMIN) $(FUZZ_LIBCLIENT) $(FUZZ_LIBRAC)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_SAN) -fsanitize=fuzzer -o $@ $^ $(FUZZ_LIBS)

-include $(wildcard $(FUZZ_OBJDIR)/*/*.d $(FUZZ_OBJDIR)/*/*/*.d)

-include $(DEPS)
-include $(RACRT_OBJS:.o=.d) $(RACRT_PIC_OBJS:.o=.d)
