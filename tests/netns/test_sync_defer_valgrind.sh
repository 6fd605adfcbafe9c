#!/bin/bash
# test_sync_defer.sh with every syncd under valgrind: the NFQUEUE, the
# hold, the lookups, the xt rule and the table's removal leave no error
# and no leak (tests/valgrind-libnftables.supp: libnftables' own).
DEFER_VALGRIND=1 T_NAME=test_sync_defer_valgrind exec bash "$(dirname "$0")/test_sync_defer.sh" "$@"
