"""A small synthetic corpus: three topics, each with its own words, in varied sentences."""

import random

TOPICS = {
    "heating": ["暖气", "供暖", "室温", "锅炉", "热力公司", "暖气片"],
    "noise": ["噪音", "施工", "夜间", "扰民", "广场舞", "装修"],
    "garbage": ["垃圾", "清运", "堆放", "异味", "垃圾桶", "分类"],
}
FILLERS = ["小区", "居民", "反映", "希望", "尽快", "处理", "最近", "一直", "楼下", "问题"]


def message(topic: str, rng: random.Random) -> str:
    words = rng.sample(TOPICS[topic], 3) + rng.sample(FILLERS, 4)
    rng.shuffle(words)
    return "".join(words)


def corpus(per_topic: int = 12, seed: int = 0) -> tuple[list[str], list[str]]:
    rng = random.Random(seed)
    pairs = [(message(topic, rng), topic) for topic in TOPICS for _ in range(per_topic)]
    return [text for text, _ in pairs], [label for _, label in pairs]
