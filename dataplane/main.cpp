// SPDX-License-Identifier: Apache-2.0
// l2tpgw-dataplane entry point (placeholder until the worker lands).
int main() { return 0; }
