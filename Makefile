# DLLD build — see docs/build.md for why a plain Makefile.
#
#   make                 libdlld.a, the dlld binary and the test programs in build/
#   make test            runs the suite (tests/run.sh); final line "N passed, N failed, N skipped"
#   make SAN=1 test      the same under ASan+UBSan in build-san/
#   make BUILD=dir ...   another build folder (parallel sessions, profiles)
#   make MODULES="core nn" test   only those modules' code and tests
#   make bench           the benchmark programs (run them from bench/)
#   make fuzz            libFuzzer harnesses (clang) in build-fuzz/

SAN ?= 0
ifeq ($(SAN),1)
BUILD ?= build-san
SANFLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer
OPT ?= -O1 -g
else
BUILD ?= build
SANFLAGS :=
OPT ?= -O2 -g
endif

ALL_MODULES := core ct synth nn detect lesion eval
MODULES ?= $(ALL_MODULES)

CC ?= cc
CXX ?= c++
WARN := -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Werror
CPPFLAGS += -Iinclude -Isrc -I/usr/include/nifti -D_GNU_SOURCE
CFLAGS += -std=c11 $(OPT) $(WARN) $(SANFLAGS) -pthread
CXXFLAGS += -std=c++17 $(OPT) -Wall -Wextra -Werror $(SANFLAGS) -pthread -isystem /usr/include/gdcm-3.0
LDFLAGS += $(SANFLAGS) -pthread
LDLIBS += -lgdcmMSFF -lgdcmDSED -lgdcmDICT -lgdcmIOD -lgdcmCommon \
	-lniftiio -lznz -lopenblas -lpng -lcjson -lz -lm -lstdc++

LIB_SRC := $(foreach m,$(MODULES),$(wildcard src/$(m)/*.c) $(wildcard src/$(m)/*.cpp))
LIB_OBJ := $(patsubst src/%,$(BUILD)/obj/%.o,$(LIB_SRC))
CLI_SRC := $(wildcard src/cli/*.c)
CLI_OBJ := $(patsubst src/%,$(BUILD)/obj/%.o,$(CLI_SRC))
TEST_SRC := $(foreach m,$(MODULES) cli,$(wildcard tests/$(m)/test_*.c))
TEST_BIN := $(patsubst tests/%.c,$(BUILD)/tests/%,$(TEST_SRC))
HARNESS_OBJ := $(BUILD)/obj/tests/harness.c.o
BENCH_SRC := $(wildcard bench/*.c)
BENCH_BIN := $(patsubst bench/%.c,$(BUILD)/bench/%,$(BENCH_SRC))

ifeq ($(MODULES),$(ALL_MODULES))
DLLD_BIN := $(BUILD)/dlld
else
DLLD_BIN :=
endif

.PHONY: all test bench fuzz clean
.SECONDARY:
all: $(BUILD)/libdlld.a $(DLLD_BIN) $(TEST_BIN)

$(BUILD)/libdlld.a: $(LIB_OBJ)
	@mkdir -p $(@D)
	rm -f $@ && ar rcs $@ $^

$(BUILD)/dlld: $(CLI_OBJ) $(BUILD)/libdlld.a
	$(CC) $(LDFLAGS) -o $@ $(CLI_OBJ) $(BUILD)/libdlld.a $(LDLIBS)

$(BUILD)/obj/%.c.o: src/%.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) -MMD -MP -c -o $@ $<

$(BUILD)/obj/%.cpp.o: src/%.cpp
	@mkdir -p $(@D)
	$(CXX) $(CPPFLAGS) $(CXXFLAGS) -MMD -MP -c -o $@ $<

$(BUILD)/obj/tests/%.c.o: tests/%.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) -Itests $(CFLAGS) -MMD -MP -c -o $@ $<

$(BUILD)/tests/%: $(BUILD)/obj/tests/%.c.o $(HARNESS_OBJ) $(BUILD)/libdlld.a
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $< $(HARNESS_OBJ) $(BUILD)/libdlld.a $(LDLIBS)

$(BUILD)/obj/bench/%.c.o: bench/%.c
	@mkdir -p $(@D)
	$(CC) $(CPPFLAGS) $(CFLAGS) -MMD -MP -c -o $@ $<

$(BUILD)/bench/%: $(BUILD)/obj/bench/%.c.o $(BUILD)/libdlld.a
	@mkdir -p $(@D)
	$(CC) $(LDFLAGS) -o $@ $< $(BUILD)/libdlld.a $(LDLIBS)

test: all
	BUILD=$(BUILD) MODULES="$(MODULES)" sh tests/run.sh

bench: $(BUILD)/libdlld.a $(DLLD_BIN) $(BENCH_BIN)

FUZZ_SRC := $(wildcard tests/fuzz/fuzz_*.c)
fuzz:
	$(MAKE) BUILD=build-fuzz CC=clang CXX=clang++ MODULES="core ct" OPT="-O1 -g" \
		SANFLAGS="-fsanitize=fuzzer-no-link,address,undefined -fno-sanitize=vptr -fno-omit-frame-pointer" \
		build-fuzz/libdlld.a
	@mkdir -p build-fuzz/fuzz
	for f in $(FUZZ_SRC); do \
		n=build-fuzz/fuzz/$$(basename $$f .c); \
		clang $(CPPFLAGS) -std=c11 -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize=vptr \
			-c -o $$n.o $$f && \
		clang++ -fsanitize=fuzzer,address,undefined -fno-sanitize=vptr -pthread \
			-o $$n $$n.o build-fuzz/libdlld.a $(LDLIBS) || exit 1; \
	done

clean:
	rm -rf build build-san build-fuzz

-include $(shell find $(BUILD)/obj -name '*.d' 2>/dev/null)
