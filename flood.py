import socket, threading, time, os, signal, sys, subprocess
pid=int(sys.argv[1]); stop=False; n=[0]
def flood():
    while not stop:
        try:
            s=socket.create_connection(("127.0.0.1",18558),timeout=1); n[0]+=1; s.close()
        except OSError: pass
ts=[threading.Thread(target=flood) for _ in range(8)]
for t in ts: t.start()
time.sleep(1.0)
t0=time.monotonic(); os.kill(pid, signal.SIGTERM)
while os.path.exists(f"/proc/{pid}") and open(f"/proc/{pid}/stat").read().split()[2]!='Z' and time.monotonic()-t0<10: time.sleep(0.01)
print("stopped after %.2fs, %d connections made"%(time.monotonic()-t0, n[0]))
stop=True
for t in ts: t.join()
