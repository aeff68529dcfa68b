#!/usr/bin/env python3
"""How fast the command centre's screen is, in a real browser.

Drives headless Chromium through ChromeDriver (Debian's chromium and
chromium-driver) against a running gridgov: signs in, waits until the map is
drawn and the panel filled, then clicks grids on the map. Reports, per run,
the time from the sign-in click to a usable screen (seen from outside), the
page's own load time, and the page's time from a grid click to its filled
panel. Standard library only.

    bench/screen.py --url http://127.0.0.1:8080 --user admin --runs 5
"""
import argparse
import base64
import json
import statistics
import subprocess
import tempfile
import time
import urllib.request

ELEMENT = "element-6066-11e4-a52e-4f735466cecf"


class Browser:
    def __init__(self, port, width=1600, height=1000):
        self.base = f"http://127.0.0.1:{port}"
        self.driver = subprocess.Popen(["chromedriver", f"--port={port}"],
                                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for _ in range(100):
            try:
                if self.call("GET", "/status")["ready"]:
                    break
            except OSError:
                time.sleep(0.1)
        self.profile = tempfile.mkdtemp(prefix="gridgov-screen-bench-")
        args = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                f"--window-size={width},{height}", f"--user-data-dir={self.profile}",
                "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"]
        session = self.call("POST", "/session", {"capabilities": {"alwaysMatch": {
            "goog:chromeOptions": {"args": args}}}})
        self.session = f"/session/{session['sessionId']}"

    def call(self, method, path, body=None):
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.base + path, data=data, method=method,
                                         headers={"content-type": "application/json"})
        with urllib.request.urlopen(request) as answer:
            return json.load(answer)["value"]

    def s(self, method, path, body=None):
        return self.call(method, self.session + path, body)

    def element(self, css):
        return self.s("POST", "/element", {"using": "css selector", "value": css})[ELEMENT]

    def run(self, script, args=()):
        return self.s("POST", "/execute/sync", {"script": script, "args": list(args)})

    def wait(self, script, args=(), limit=60):
        started = time.time()
        while time.time() - started < limit:
            value = self.run(script, args)
            if value:
                return value
            time.sleep(0.01)
        raise TimeoutError(script)

    def click_at(self, css, x, y):
        element = self.element(css)
        rect = self.s("GET", f"/element/{element}/rect")
        self.s("POST", "/actions", {"actions": [{
            "type": "pointer", "id": "mouse", "parameters": {"pointerType": "mouse"},
            "actions": [
                {"type": "pointerMove", "duration": 0, "origin": {ELEMENT: element},
                 "x": x - int(rect["width"] // 2), "y": y - int(rect["height"] // 2)},
                {"type": "pointerDown", "button": 0}, {"type": "pointerUp", "button": 0}]}]})

    def screenshot(self, path):
        with open(path, "wb") as file:
            file.write(base64.b64decode(self.s("GET", "/screenshot")))

    def close(self):
        try:
            self.s("DELETE", "")
        finally:
            self.driver.kill()
            subprocess.run(["rm", "-rf", self.profile], check=False)


def one_run(browser, url, user, password, clicks, screenshot=None):
    browser.s("POST", "/url", {"url": url + "/screen"})
    browser.run("sessionStorage.clear()")
    browser.s("POST", "/url", {"url": url + "/screen"})
    browser.s("POST", f"/element/{browser.element('#username')}/value", {"text": user})
    browser.s("POST", f"/element/{browser.element('#password')}/value", {"text": password})
    started = time.time()
    browser.s("POST", f"/element/{browser.element('#sign-in')}/click", {})
    browser.wait("return document.body.dataset.ready === 'true'")
    usable = time.time() - started
    load = browser.run("return window.gridgovScreen.timings.load")
    grids = int(browser.run("return document.getElementById('map').dataset.grids"))
    codes = browser.run(
        "var all = echarts.getInstanceByDom(document.getElementById('map')).getOption()"
        ".series[0].data.map(function (d) { return d.name; });"
        "var step = Math.max(1, Math.floor(all.length / arguments[0]));"
        "return all.filter(function (c, i) { return i % step === 0; }).slice(0, arguments[0]);",
        [clicks])
    panels = []
    for code in codes:
        point = browser.run("return window.gridgovScreen.gridPoint(arguments[0])", [code])
        if not point:
            continue
        browser.click_at("#map", point[0], point[1])
        try:
            browser.wait("return document.getElementById('panel').dataset.code === arguments[0]",
                         [code], limit=10)
        except TimeoutError:
            continue  # the point fell on another grid's edge
        panels.append(browser.run("return window.gridgovScreen.timings.panel"))
    if screenshot:
        browser.screenshot(screenshot)
    browser.s("POST", f"/element/{browser.element('#sign-out')}/click", {})
    return usable, load, grids, panels


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", default="http://127.0.0.1:8080")
    parser.add_argument("--user", default="admin")
    parser.add_argument("--password", default="gridgov-demo")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--clicks", type=int, default=10, help="grid clicks per run")
    parser.add_argument("--port", type=int, default=9517, help="ChromeDriver's port")
    parser.add_argument("--screenshot", help="a PNG of the last run's screen")
    args = parser.parse_args()
    browser = Browser(args.port)
    try:
        usable, loads, panels = [], [], []
        for run in range(args.runs):
            last = run == args.runs - 1
            u, load, grids, clicked = one_run(browser, args.url, args.user, args.password,
                                              args.clicks, args.screenshot if last else None)
            usable.append(u * 1000)
            loads.append(load)
            panels.extend(clicked)
            print(f"run {run + 1}: {grids} grids, usable {u * 1000:.0f} ms after the sign-in click "
                  f"(page's own load {load} ms), grid panels {clicked} ms")
        median = statistics.median
        print(f"{args.user}: sign-in to usable screen median {median(usable):.0f} ms, max {max(usable):.0f} ms; "
              f"page load median {median(loads):.0f} ms; grid click to panel median "
              f"{median(panels):.0f} ms, max {max(panels)} ms over {len(panels)} clicks")
    finally:
        browser.close()


if __name__ == "__main__":
    main()
