"""Twenty environments at once get twenty distinct engine-assigned ports."""

from __future__ import annotations

import socket
from concurrent.futures import ThreadPoolExecutor

from webarena_isolation.environment import Environment


def test_twenty_environments_distinct_ports_avoiding_bound_ones(client, catalog, run_id):
    # Ports already held by another process on the host must never be handed out.
    held = []
    for _ in range(5):
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        held.append(sock)
    held_ports = {s.getsockname()[1] for s in held}
    environments = [
        Environment(client, task_id=100 + i, specs=[catalog.site("map")], run_id=run_id)
        for i in range(20)
    ]
    try:
        with ThreadPoolExecutor(max_workers=10) as pool:
            list(pool.map(lambda env: env.start(), environments))
        ports = [env.sites["map"].host_port for env in environments]
        assert len(set(ports)) == 20
        assert not set(ports) & held_ports
        assert all(1024 < port < 65536 for port in ports)
        networks = {env.name for env in environments}
        assert len(networks) == 20
    finally:
        with ThreadPoolExecutor(max_workers=10) as pool:
            list(pool.map(lambda env: env.close(), environments))
        for sock in held:
            sock.close()


def test_more_networks_than_dockers_default_pools_allow(client, run_id):
    # Docker's default pools give about 30 bridge networks; each task gets one of its own.
    import ipaddress

    from webarena_isolation.subnets import configured_range

    environments = [Environment(client, task_id=200 + i, specs=[], run_id=run_id)
                    for i in range(40)]
    try:
        with ThreadPoolExecutor(max_workers=8) as pool:
            list(pool.map(lambda env: env.start(), environments))
        subnets = [env.subnet for env in environments]
        assert len(set(subnets)) == 40
        whole, _ = configured_range()
        assert all(isinstance(s, ipaddress.IPv4Network) and s.subnet_of(whole) for s in subnets)
    finally:
        with ThreadPoolExecutor(max_workers=8) as pool:
            list(pool.map(lambda env: env.close(), environments))
