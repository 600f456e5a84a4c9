"""Built-in datasets, one module each, as in `keras.datasets`.

Each module's `load_data()` downloads its files once into `~/.tensorlet/datasets`
(or `$TENSORLET_HOME/datasets`), checks their SHA-256, and parses them without
executing code from them; `digits` is bundled and needs no download.
"""

from tensorlet.keras.datasets import boston_housing as boston_housing
from tensorlet.keras.datasets import california_housing as california_housing
from tensorlet.keras.datasets import cifar10 as cifar10
from tensorlet.keras.datasets import cifar100 as cifar100
from tensorlet.keras.datasets import digits as digits
from tensorlet.keras.datasets import fashion_mnist as fashion_mnist
from tensorlet.keras.datasets import imdb as imdb
from tensorlet.keras.datasets import mnist as mnist
from tensorlet.keras.datasets import reuters as reuters
