# SPDX-License-Identifier: GPL-2.0
#
# `make [ARCH=x86_64|arm64|s390]` builds nkvm.ko against the pinned Debian
# kernel headers (KDIR=... overrides). Objects go to build/$(ARCH)/, never
# into the source tree, so the three architectures can be built side by side.

ARCH ?= x86_64
ifeq ($(ARCH),x86_64)
  CROSS_COMPILE ?=
else ifeq ($(ARCH),arm64)
  CROSS_COMPILE ?= aarch64-linux-gnu-
else ifeq ($(ARCH),s390)
  CROSS_COMPILE ?= s390x-linux-gnu-
else
  $(error ARCH must be one of x86_64, arm64, s390 (got '$(ARCH)'))
endif

BUILD := $(CURDIR)/build/$(ARCH)
# MODDIR=... puts one more build of the module elsewhere (make check-debug's).
MODDIR ?= $(BUILD)/module
MODSRC := Kbuild virt arch include

# Passed to the scripts: ours (default) or stock.
KVM_IMPL ?= ours
export KVM_IMPL

.PHONY: all module selftests abi-check check check-host check-upstream check-debug demo bench \
	sparse checkpatch clean fuzz

all: module

# The module is built in a shadow tree of symlinks (cp -rs) so that Kbuild
# writes its objects under build/ and not next to the sources.
module:
	@mkdir -p $(MODDIR)
	@cp -rs --remove-destination $(addprefix $(CURDIR)/,$(MODSRC)) $(MODDIR)/
	@kdir="$${KDIR:-$$(scripts/fetch.sh kdir $(ARCH))}" && \
	$(MAKE) -C "$$kdir" M=$(MODDIR) ARCH=$(ARCH) \
		CROSS_COMPILE=$(CROSS_COMPILE) W=1 $(MODFLAGS) modules
	@echo "built $(MODDIR)/nkvm.ko"

sparse:
	@$(MAKE) --no-print-directory module MODFLAGS="C=2 CHECK=sparse"

checkpatch:
	@scripts/checkpatch.sh

selftests:
	@$(MAKE) --no-print-directory -C tools/testing/selftests/kvm \
		ARCH=$(ARCH) OUT=$(BUILD)/selftests

abi-check:
	@tools/abi/abi-check.sh

check:
	@scripts/check.sh

check-upstream:
	@scripts/check-upstream.sh

check-debug:
	@scripts/check-debug.sh

demo:
	@scripts/demo.sh

bench:
	@scripts/bench.sh

# `make fuzz SECONDS=N`: both fuzzers in one guest boot (Documentation/fuzzing.md).
fuzz:
	@NKVM_FUZZ_SECONDS=$(if $(SECONDS),$(SECONDS),60) scripts/fuzz.sh

clean:
	rm -rf build
