# SPDX-License-Identifier: GPL-2.0
#
# `make [ARCH=x86_64|arm64|s390]` builds nkvm.ko against the pinned Debian
# kernel headers (KDIR=... overrides). Objects go to build/$(ARCH)/, never
# into the source tree, so the three architectures can be built side by side.
# KVER_SERIES=6.12 (x86_64): against Debian 12's 6.12 kernel instead of 6.1;
# the module then goes to build/x86_64-6.12/ (the selftests do not depend on
# the kernel and stay in build/x86_64/selftests).

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

KVER_SERIES ?= 6.1
export KVER_SERIES
ifeq ($(KVER_SERIES),6.1)
  SERIES_TAG :=
else
  SERIES_TAG := -$(KVER_SERIES)
endif

BUILD := $(CURDIR)/build/$(ARCH)
# MODDIR=... puts one more build of the module elsewhere (make check-debug's).
MODDIR ?= $(BUILD)$(SERIES_TAG)/module
MODSRC := Kbuild virt arch include

# The module's version (modinfo nkvm): from git, e.g. 0.0-171-g3c1e309[-dirty]
# while the history has no v* tag. A tree without git (the DKMS package's
# source) is given it on the command line, as the package builds it.
NKVM_VERSION ?= $(shell scripts/version.sh)

# Passed to the scripts: ours (default) or stock.
KVM_IMPL ?= ours
export KVM_IMPL

.PHONY: all module selftests abi-check check check-host check-upstream check-upstream-s390 \
	check-debug check-qemu demo bench \
	sparse checkpatch clean fuzz deb

all: module

# The module is built in a shadow tree of symlinks (cp -rs) so that Kbuild
# writes its objects under build/ and not next to the sources.
module:
	@mkdir -p $(MODDIR)
	@cp -rs --remove-destination $(addprefix $(CURDIR)/,$(MODSRC)) $(MODDIR)/
	@kdir="$${KDIR:-$$(scripts/fetch.sh kdir $(ARCH))}" && \
	$(MAKE) -C "$$kdir" M=$(MODDIR) ARCH=$(ARCH) \
		CROSS_COMPILE=$(CROSS_COMPILE) W=1 NKVM_VERSION=$(NKVM_VERSION) $(MODFLAGS) modules
	@echo "built $(MODDIR)/nkvm.ko"

# The DKMS package: build/deb/nkvm-dkms_<version>_all.deb (scripts/mkdeb.sh).
deb:
	@scripts/mkdeb.sh

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

# The upstream 6.1 s390x selftests, nkvm and stock kvm.ko in one Hercules boot.
check-upstream-s390:
	@scripts/check-upstream-s390.sh

check-debug:
	@scripts/check-debug.sh

check-qemu:
	@scripts/check-qemu.sh

demo:
	@scripts/demo.sh

bench:
	@scripts/bench.sh

# `make fuzz SECONDS=N`: both fuzzers in one guest boot (Documentation/fuzzing.md).
fuzz:
	@NKVM_FUZZ_SECONDS=$(if $(SECONDS),$(SECONDS),60) scripts/fuzz.sh

clean:
	rm -rf build
