#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Writes the golden outputs of stafctl and stacctl for the D-Bus tests (tests/dbus/).

Each golden is what nvme-stas's tools print for the value below: print(pprint.pformat(value,
width=120)), here by CPython itself, so that the tests do not check our pprint formatter
against itself. The values are what stafd-sim and stacd-sim hold in the tests' default
scenarios (tests/dbus/dbus_fixture.cc, Scenario() in stacd_dbus_test.cc). What varies per run
is normalised by the tests, to the placeholders used here: the temp dir (TEMP_DIR, as long as
the real one) and the avahi kick timer's time left (AVAHI_TIMER); device names and serials
follow the kernel's own device list.

Regenerate (from the repository root): python3 tests/dbus/golden/make_goldens.py
"""

import os
import pprint

HOSTNQN = 'nqn.2014-08.org.nvmexpress:uuid:11111111-2222-3333-4444-555555555555'
HOSTID = '11111111-2222-3333-4444-555555555555'
TEMP_DIR = '/tmp/stas-dbus-test-XXXXXX'  # mkdtemp("/tmp/stas-dbus-test-XXXXXX")
AVAHI_TIMER = '60.0s [REMAINING]'
OP_DONE = "{'fail count': 0, 'completed': True, 'alive': True}"


def dlpe(subnqn, traddr, trsvcid):
    return {'trtype': 'tcp', 'adrfam': 'ipv4', 'traddr': traddr, 'trsvcid': trsvcid,
            'subnqn': subnqn, 'subtype': 'nvme', 'treq': 'not specified', 'portid': '1',
            'cntlid': '65535', 'asqsz': '32', 'eflags': '0'}


# The option table of the simulated kernel (common/testing/simulated_kernel.h).
SIM_KERNEL_OPTIONS = ['instance', 'cntlid', 'transport', 'traddr', 'trsvcid', 'nqn', 'queue_size',
                      'nr_io_queues', 'reconnect_delay', 'ctrl_loss_tmo', 'keep_alive_tmo',
                      'hostnqn', 'host_traddr', 'host_iface', 'hostid', 'duplicate_connect',
                      'disable_sqflow', 'hdr_digest', 'data_digest', 'nr_write_queues',
                      'nr_poll_queues', 'tos', 'fast_io_fail_tmo', 'discovery', 'dhchap_secret',
                      'dhchap_ctrl_secret']
SUBSYS1 = ('nqn.2014-08.io.example:subsys1', '192.0.2.20', '4420')
SUBSYS2 = ('nqn.2014-08.io.example:subsys2', '192.0.2.21', '4421')
LOG_PAGES = [dlpe(*SUBSYS1), dlpe(*SUBSYS2)]


def tid(transport, traddr, trsvcid, subsysnqn, device):
    return {'traddr': traddr, 'trsvcid': trsvcid, 'transport': transport, 'subsysnqn': subsysnqn,
            'host-iface': '', 'host-traddr': '', 'host-nqn': HOSTNQN, 'device': device}


def sysfs(serial, dctype, cntrltype):
    # 'owner' is ours, not nvme-stas 2.x's: the daemons connected every controller of the tests,
    # so the ownership registry says 'stas'.
    return {'hostid': HOSTID, 'hostnqn': HOSTNQN, 'model': 'Linux', 'serial': serial,
            'dctype': dctype, 'cntrltype': cntrltype, 'connected': 'True', 'owner': 'stas'}


def process_info(config_file):
    return {'tron': False, 'log-level': 'INFO', 'hostnqn': HOSTNQN, 'hostid': HOSTID,
            'hostkey': None, 'symname': None, 'last known config file': config_file,
            'config soak timer': '1.5s [off]', 'kernel support.TP8013': 'True',
            'kernel support.host_iface': 'True',
            # not in nvme-stas 2.x (#17): the simulated kernel has DH-HMAC-CHAP and no TLS
            'kernel support.DH-HMAC-CHAP': 'True', 'kernel support.TLS': 'False',
            'kernel support.options': SIM_KERNEL_OPTIONS}


# stafd: one configured DC, 192.0.2.10:8009, serving LOG_PAGES.
DC = tid('tcp', '192.0.2.10', '8009', 'nqn.2014-08.org.nvmexpress.discovery', 'nvme0')
DC_INFO = {'connect attempts': '0', 'retry connect timer': '3.0s [off]',
           'connect operation': OP_DONE, 'origin': 'configured',
           'get log page operation': OP_DONE, 'register operation': OP_DONE,
           'get supported log page operation': OP_DONE}
DC_DETAILED = {**DC, **DC_INFO, **sysfs('sim1', 'ddc', 'discovery')}
# list_controllers(detailed=True), hence ls -d and status, also has the kernel's controller state;
# get_all_log_pages(detailed=True) does not.
DC_LISTED = {**DC_DETAILED, 'state': 'live'}
STAFD_STATUS = {
    **process_info(TEMP_DIR + '/run/last-known-config.json'),
    # stafd's budget of DC reads (#13, finding 6); not in nvme-stas
    'discovery read workers': {'limit': 8, 'in flight': 0, 'queued': 0, 'peak queued': 0},
    'avahi': {'avahi wake up timer': AVAHI_TIMER,
              'service types': ['_nvme-disc._tcp', '_nvme-disc._udp'], 'services': {}},
    'controllers': [{**DC_LISTED, 'log_pages': LOG_PAGES}],
}


# stacd: the two I/O controllers of LOG_PAGES; nvme0/sim1 is subsys1's, nvme1/sim2 subsys2's.
def ioc(subsys, device, serial):
    entry = dlpe(*subsys)
    return {**tid('tcp', subsys[1], subsys[2], subsys[0], device),
            'connect attempts': '0', 'retry connect timer': '3.0s [off]',
            'connect operation': OP_DONE, 'dlpe': str(entry), 'dlpe.eflags.ncc': 'False',
            **sysfs(serial, 'none', 'io'), 'state': 'live'}


IOCS = [ioc(SUBSYS1, 'nvme0', 'sim1'), ioc(SUBSYS2, 'nvme1', 'sim2')]
IOC_IDS = [{k: c[k] for k in tid('', '', '', '', '')} for c in IOCS]
STACD_STATUS = {**process_info(TEMP_DIR + '/run-stacd/owned-controllers.json'),
                'controllers': IOCS}

GOLDENS = {
    'stafctl-ls.txt': [DC],
    'stafctl-ls-detailed.txt': [DC_LISTED],
    'stafctl-status.txt': STAFD_STATUS,
    'stafctl-dlp.txt': LOG_PAGES,
    'stafctl-adlp.txt': [{'discovery-controller': DC, 'log-pages': LOG_PAGES}],
    'stafctl-adlp-detailed.txt': [{'discovery-controller': DC_DETAILED, 'log-pages': LOG_PAGES}],
    'stacctl-ls.txt': IOC_IDS,
    'stacctl-status.txt': STACD_STATUS,
}

if __name__ == '__main__':
    here = os.path.dirname(os.path.abspath(__file__))
    for name, value in GOLDENS.items():
        with open(os.path.join(here, name), 'w', encoding='utf-8') as f:
            f.write(pprint.pformat(value, width=120) + '\n')
