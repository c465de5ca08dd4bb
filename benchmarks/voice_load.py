"""Voice load: sipp callers hold recorded calls on a fincall endpoint; pacing, CPU, ASR speed.

Each call: INVITE -> answer -> IVR prompt -> RFC 4733 digit -> hold music, recorded and
encrypted, until sipp hangs up after --hold seconds. fincall's RTP goes to a receiver probe in
a separate process which measures pacing jitter: |interarrival - 20 ms| per stream, p99.

    python benchmarks/voice_load.py                   # 100 calls, 10 calls/s, 15 s hold
    python benchmarks/voice_load.py --agents --levels 100,150,200 --hold 60
    python benchmarks/voice_load.py --no-realtime     # media loop at normal priority
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import os
import re
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from fincall.channels.voice.recording import digest_of
from fincall.channels.voice.sipp import free_udp_port, write_dtmf_pcap

KEY = "benchmark-recording-key"
SCENARIO = """<?xml version="1.0" encoding="ISO-8859-1" ?>
<!DOCTYPE scenario SYSTEM "sipp.dtd">
<scenario name="fincall load caller">
  <send retrans="500"><![CDATA[

INVITE sip:ivr@[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: <sip:caller[call_number]@[local_ip]:[local_port]>;tag=[pid]T[call_number]
To: <sip:ivr@[remote_ip]:[remote_port]>
Call-ID: [call_id]
CSeq: 1 INVITE
Contact: <sip:caller@[local_ip]:[local_port]>
Max-Forwards: 70
Content-Type: application/sdp
Content-Length: [len]

v=0
o=caller 1 1 IN IP4 [local_ip]
s=-
c=IN IP4 [media_ip]
t=0 0
m=audio @PROBE_PORT@ RTP/AVP 0 101
a=rtpmap:0 PCMU/8000
a=rtpmap:101 telephone-event/8000

]]></send>
  <recv response="100" optional="true"/>
  <recv response="180" optional="true"/>
  <recv response="200" rtd="true"/>
  <send><![CDATA[

ACK sip:ivr@[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: <sip:caller[call_number]@[local_ip]:[local_port]>;tag=[pid]T[call_number]
To: <sip:ivr@[remote_ip]:[remote_port]>[peer_tag_param]
Call-ID: [call_id]
CSeq: 1 ACK
Content-Length: 0

]]></send>
  <pause milliseconds="1200"/>
  <nop><action><exec play_pcap_audio="dtmf.pcap"/></action></nop>
  <pause milliseconds="@HOLD_MS@"/>
  <send retrans="500"><![CDATA[

BYE sip:ivr@[remote_ip]:[remote_port] SIP/2.0
Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
From: <sip:caller[call_number]@[local_ip]:[local_port]>;tag=[pid]T[call_number]
To: <sip:ivr@[remote_ip]:[remote_port]>[peer_tag_param]
Call-ID: [call_id]
CSeq: 2 BYE
Content-Length: 0

]]></send>
  <recv response="200"/>
</scenario>
"""
AGENT_SCENARIO = """<?xml version="1.0" encoding="ISO-8859-1" ?>
<!DOCTYPE scenario SYSTEM "sipp.dtd">
<scenario name="fincall load agent phones">
  <recv request="INVITE"/>
  <send><![CDATA[

SIP/2.0 180 Ringing
[last_Via:]
[last_From:]
[last_To:];tag=[pid]A[call_number]
[last_Call-ID:]
[last_CSeq:]
Contact: <sip:agent1@[local_ip]:[local_port]>
Content-Length: 0

]]></send>
  <pause milliseconds="@ANSWER_MS@"/>
  <send retrans="500"><![CDATA[

SIP/2.0 200 OK
[last_Via:]
[last_From:]
[last_To:];tag=[pid]A[call_number]
[last_Call-ID:]
[last_CSeq:]
Contact: <sip:agent1@[local_ip]:[local_port]>
Content-Type: application/sdp
Content-Length: [len]

v=0
o=agent 1 1 IN IP4 [local_ip]
s=-
c=IN IP4 [media_ip]
t=0 0
m=audio @PROBE_PORT@ RTP/AVP 0
a=rtpmap:0 PCMU/8000

]]></send>
  <recv request="ACK"/>
  <recv request="BYE"/>
  <send><![CDATA[

SIP/2.0 200 OK
[last_Via:]
[last_From:]
[last_To:]
[last_Call-ID:]
[last_CSeq:]
Content-Length: 0

]]></send>
</scenario>
"""
AGENT_PASSWORD = "bench-agent-pw"
PROMPTS = [
    "please tell me the balance of my savings account",
    "i want to report a stolen credit card",
    "transfer money to my savings account",
    "speak with an agent",
]
VOCABULARY = sorted(
    {w for p in PROMPTS for w in p.split()} | set("card loan bill yes no help".split())
)


def probe_main(
    port_q: mp.Queue,
    stop: mp.Event,
    result_q: mp.Queue,
    window: tuple[float, float],
    realtime: bool,
) -> None:
    """RTP receiver: per-SSRC interarrival deviation from the RTP clock, in a separate process."""
    if realtime:
        try:
            os.sched_setscheduler(0, os.SCHED_RR, os.sched_param(10))
        except OSError:
            pass
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8 << 20)
    sock.bind(("127.0.0.1", 0))
    sock.settimeout(0.2)
    port_q.put(sock.getsockname()[1])
    last: dict[int, tuple[float, int]] = {}
    deviations: list[float] = []
    packets = 0
    t0 = time.monotonic()
    active_in_window: set[int] = set()
    while not stop.is_set():
        try:
            data = sock.recv(2048)
        except TimeoutError:
            continue
        now = time.monotonic()
        if len(data) < 12 or data[0] >> 6 != 2 or (data[1] & 0x7F) not in (0, 8):
            continue
        packets += 1
        ts, ssrc = struct.unpack_from("!II", data, 4)
        prev = last.get(ssrc)
        if prev is not None:
            dts = ((ts - prev[1]) & 0xFFFFFFFF) / 8000.0
            if 0 < dts < 1:
                deviations.append(abs((now - prev[0]) - dts) * 1000.0)
        last[ssrc] = (now, ts)
        if window[0] <= now - t0 <= window[1]:
            active_in_window.add(ssrc)
    dev = np.array(deviations) if deviations else np.zeros(1)
    result_q.put(
        {
            "rtp_packets": packets,
            "rtp_streams": len(last),
            "streams_in_plateau": len(active_in_window),
            "jitter_p50_ms": round(float(np.percentile(dev, 50)), 3),
            "jitter_p99_ms": round(float(np.percentile(dev, 99)), 3),
            "jitter_max_ms": round(float(dev.max()), 3),
        }
    )


def register_agent(sip_port: int, contact_port: int) -> None:
    """REGISTER agent1 (digest) so the endpoint rings the sipp agent phones at contact_port."""
    from fincall.channels.voice.sip import digest
    from fincall.channels.voice.sip.message import SipMessage, parse

    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        sock.settimeout(5)
        port = sock.getsockname()[1]
        auth = ""
        for cseq in (1, 2):
            msg = SipMessage(method="REGISTER", uri=f"sip:127.0.0.1:{sip_port}")
            msg.add("Via", f"SIP/2.0/UDP 127.0.0.1:{port};branch=z9hG4bKreg{cseq}")
            msg.add("From", "<sip:agent1@127.0.0.1>;tag=bench")
            msg.add("To", "<sip:agent1@127.0.0.1>")
            msg.add("Call-ID", "bench-register")
            msg.add("CSeq", f"{cseq} REGISTER")
            msg.add("Contact", f"<sip:agent1@127.0.0.1:{contact_port}>;expires=3600")
            if auth:
                msg.add("Authorization", auth)
            sock.sendto(msg.serialise(), ("127.0.0.1", sip_port))
            resp = parse(sock.recv(4096))
            if resp.status == 200:
                return
            auth = digest.authorization_header(
                username="agent1",
                password=AGENT_PASSWORD,
                method="REGISTER",
                uri=msg.uri or "",
                challenge=resp.get("WWW-Authenticate") or "",
            )
    raise SystemExit("agent registration failed")


def cpu_seconds(pid: int) -> float:
    """User+system CPU time of a process."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run_level(
    calls: int, rate: float, hold_s: float, work: Path, *, realtime: bool, agents: bool
) -> dict:
    """One load level; returns its figures."""
    ramp_s = calls / rate
    plateau = (ramp_s + 2.0, ramp_s + max(hold_s - 1.0, 1.0))
    port_q, result_q, stop = mp.Queue(), mp.Queue(), mp.Event()
    probe = mp.Process(
        target=probe_main, args=(port_q, stop, result_q, plateau, realtime), daemon=True
    )
    probe.start()
    probe_port = port_q.get(timeout=10)
    rec_dir = work / f"rec{calls}"
    stats_file = work / f"server{calls}.json"
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "fincall.channels.voice.cli",
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            "0",
            "--handler",
            "queue" if agents else "hold",
            "--agent-password",
            f"agent1:{AGENT_PASSWORD}",
            "--recordings",
            str(rec_dir),
            "--key",
            KEY,
            "--stats-file",
            str(stats_file),
            *(["--realtime"] if realtime else []),
        ],
        stderr=subprocess.PIPE,
        text=True,
    )
    lines, match = [], None
    while server.stderr and match is None and len(lines) < 5:
        lines.append(server.stderr.readline())
        match = re.search(r"sip:127\.0\.0\.1:(\d+)", lines[-1])
    if not match:
        raise SystemExit(f"endpoint did not start: {lines}")
    sip_port = int(match.group(1))
    scenario = work / "load.xml"
    scenario.write_text(
        SCENARIO.replace("@PROBE_PORT@", str(probe_port)).replace(
            "@HOLD_MS@", str(int(hold_s * 1000))
        )
    )
    write_dtmf_pcap(work / "dtmf.pcap", "1")
    agent_proc = None
    if agents:
        agent_port = free_udp_port()
        register_agent(sip_port, agent_port)
        agent_xml = work / "agents.xml"
        agent_xml.write_text(
            AGENT_SCENARIO.replace("@PROBE_PORT@", str(probe_port)).replace("@ANSWER_MS@", "1000")
        )
        agent_proc = subprocess.Popen(
            [
                "sipp",
                "-sf",
                str(agent_xml),
                "-i",
                "127.0.0.1",
                "-p",
                str(agent_port),
                "-mp",
                str(free_udp_port(even=True)),
                "-m",
                str(calls),
                "-nostdin",
                "-max_socket",
                "4096",
                "-timeout",
                f"{int(ramp_s + hold_s + 60)}s",
            ],
            cwd=work,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
    started = time.monotonic()
    sipp = subprocess.Popen(
        [
            "sipp",
            f"127.0.0.1:{sip_port}",
            "-sf",
            str(scenario),
            "-r",
            str(rate),
            "-l",
            str(calls),
            "-m",
            str(calls),
            "-i",
            "127.0.0.1",
            "-p",
            str(free_udp_port()),
            "-mp",
            str(free_udp_port(even=True)),
            "-nostdin",
            "-timeout",
            f"{int(ramp_s + hold_s + 60)}s",
            "-timeout_error",
            "-max_socket",
            "4096",
        ],
        cwd=work,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    time.sleep(plateau[0])
    cpu0, wall0 = cpu_seconds(server.pid), time.monotonic()
    time.sleep(max(plateau[1] - plateau[0], 0.5))
    cpu1, wall1 = cpu_seconds(server.pid), time.monotonic()
    out, _ = sipp.communicate(timeout=ramp_s + hold_s + 120)
    elapsed = time.monotonic() - started
    agent_ok = agent_failed = 0
    if agent_proc is not None:
        agent_out, _ = agent_proc.communicate(timeout=60)
        m_ok = re.search(r"Successful call\s*\|\s*\d+\s*\|\s*(\d+)", agent_out)
        m_failed = re.search(r"Failed call\s*\|\s*\d+\s*\|\s*(\d+)", agent_out)
        agent_ok = int(m_ok.group(1)) if m_ok else 0
        agent_failed = int(m_failed.group(1)) if m_failed else calls
    time.sleep(1.0)
    stop.set()
    probe_stats = result_q.get(timeout=20)
    probe.join(5)
    server.send_signal(2)
    server.wait(60)
    server_stats = json.loads(stats_file.read_text()) if stats_file.exists() else {}
    ok = re.search(r"Successful call\s*\|\s*\d+\s*\|\s*(\d+)", out)
    failed = re.search(r"Failed call\s*\|\s*\d+\s*\|\s*(\d+)", out)
    files = sorted(rec_dir.rglob("*.fcrec"))
    verified = 0
    durations = []
    for f in files[:10]:
        res = digest_of(f, master_key=KEY)
        verified += 1
        durations.append(res.duration_s)
    core_fraction = (cpu1 - cpu0) / (wall1 - wall0)
    return {
        "calls": calls,
        "rate_cps": rate,
        "hold_s": hold_s,
        "successful": int(ok.group(1)) if ok else 0,
        "failed": int(failed.group(1)) if failed else calls,
        "sipp_exit": sipp.returncode,
        "agent_legs_ok": agent_ok,
        "agent_legs_failed": agent_failed,
        "elapsed_s": round(elapsed, 1),
        "server_cpu_cores_at_plateau": round(core_fraction, 3),
        "cpu_pct_of_core_per_call": round(100 * core_fraction / calls, 3),
        "legs_per_call": 2 if agents else 1,
        "recordings": len(files),
        "recordings_spot_checked": verified,
        "recording_mean_s": round(float(np.mean(durations)), 2) if durations else 0.0,
        **probe_stats,
        "server": server_stats,
    }


def asr_rtf() -> dict:
    """Real-time factor of the English recogniser on espeak-ng prompts (8 kHz, G.711)."""
    from fincall.channels.voice import g711
    from fincall.speech.asr import PocketsphinxRecognizer
    from fincall.speech.audio import read_wav
    from fincall.speech.tts import EspeakSynthesizer

    if shutil.which("espeak-ng") is None:
        return {"asr_error": "espeak-ng missing"}
    tts = EspeakSynthesizer(cache_dir=Path(tempfile.gettempdir()) / "fincall-bench-tts")
    asr = PocketsphinxRecognizer()
    out: dict[str, float] = {}
    for mode in ("vocabulary", "phrases", "free"):
        audio = elapsed = 0.0
        recall = []
        for text in PROMPTS:
            samples, _ = read_wav(tts.render(text))
            pcm = np.frombuffer(g711.decode(g711.encode(samples.tobytes(), 0), 0), dtype="<i2")
            kwargs = (
                {"vocabulary": VOCABULARY}
                if mode == "vocabulary"
                else {"phrases": PROMPTS}
                if mode == "phrases"
                else {}
            )
            res = asr.transcribe(pcm, rate=8000, **kwargs)
            audio += res.audio_s
            elapsed += res.elapsed_s
            heard = res.text.split()
            recall.append(sum(w in heard for w in text.split()) / len(text.split()))
        out[f"asr_rtf_{mode}"] = round(elapsed / audio, 3)
        out[f"asr_word_recall_{mode}"] = round(float(np.mean(recall)), 3)
    return out


def main() -> None:
    """Run the levels, print figures, end with one JSON line."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--calls", type=int, default=100, help="concurrent calls (one level)")
    parser.add_argument(
        "--levels", default="", help="comma list of concurrency levels, stops at first failure"
    )
    parser.add_argument("--rate", type=float, default=10.0, help="new calls per second")
    parser.add_argument("--hold", type=float, default=15.0, help="seconds each call is held")
    parser.add_argument("--skip-asr", action="store_true")
    parser.add_argument(
        "--agents",
        action="store_true",
        help="queue each caller to a registered agent phone (sipp UAS) and bridge: 2 legs a call",
    )
    parser.add_argument(
        "--realtime",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="run the endpoint and the receiver at real-time priority (SCHED_RR, as media "
        "servers are deployed; falls back to normal priority without the permission)",
    )
    args = parser.parse_args()
    if shutil.which("sipp") is None:
        raise SystemExit("sipp is not installed (Debian package sip-tester)")
    levels = [int(x) for x in args.levels.split(",") if x] or [args.calls]
    results = []
    best = 0
    with tempfile.TemporaryDirectory(prefix="fincall-voice-load-") as tmp:
        for level in levels:
            res = run_level(
                level, args.rate, args.hold, Path(tmp), realtime=args.realtime, agents=args.agents
            )
            results.append(res)
            print(
                f"level {level}: ok={res['successful']} failed={res['failed']} "
                f"held={res['streams_in_plateau']} jitter p99={res['jitter_p99_ms']} ms "
                f"max={res['jitter_max_ms']} ms cpu/call={res['cpu_pct_of_core_per_call']}% "
                f"of a core, recordings={res['recordings']}"
            )
            bad_agents = args.agents and (res["agent_legs_failed"] or res["agent_legs_ok"] < level)
            if res["failed"] or res["sipp_exit"] != 0 or bad_agents or res["jitter_p99_ms"] >= 5.0:
                break
            best = max(best, res["streams_in_plateau"] // res["legs_per_call"])
    summary = {
        "max_concurrent_calls_zero_failures_jitter_p99_below_5ms": best,
        "new_calls_per_s": args.rate,
        "hold_s": args.hold,
        "realtime_priority": args.realtime,
        "agents_bridged": args.agents,
        "jitter_p99_ms": max(r["jitter_p99_ms"] for r in results),
        "cpu_pct_of_core_per_call": results[-1]["cpu_pct_of_core_per_call"],
        "levels": results,
    }
    if not args.skip_asr:
        summary.update(asr_rtf())
        print(
            f"ASR real-time factor: {summary.get('asr_rtf_vocabulary')} (vocabulary grammar), "
            f"{summary.get('asr_rtf_phrases')} (menu phrases), {summary.get('asr_rtf_free')} (free)"
        )
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
