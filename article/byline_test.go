package article

import "testing"

func TestParseBylineLanguages(t *testing.T) {
	tests := []struct {
		line, name string
		ok         bool
	}{
		{"By Jane Doe", "Jane Doe", true},
		{"Von Max Mustermann", "Max Mustermann", true},
		{"Von: Markus Zwigl, Martin Weidner, Martina Hunger", "Markus Zwigl, Martin Weidner, Martina Hunger", true},
		{"Par Jean Dupont, le 3 mars 2024", "Jean Dupont", true},
		{"Por María García | 3 de marzo de 2024", "María García", true},
		{"Di Mario Rossi", "Mario Rossi", true},
		{"Door Jan de Vries", "Jan de Vries", true},
		{"Текст: Дарья Григоренко", "Дарья Григоренко", true},
		{"Tекст: Дарья Григоренко", "Дарья Григоренко", true}, // a Latin T
		{"Автор: Иван Петров", "Иван Петров", true},
		{"山田太郎記者", "山田太郎", true},
		{"作者：张伟", "张伟", true},
		{"新华社记者 崔静、韩洁、刘羊旸", "崔静、韩洁、刘羊旸", true},
		{"بقلم محمد علي", "محمد علي", true},
		{"حاوره في صنعاء / عبد الملك الفهيدي -", "عبد الملك الفهيدي", true},
		{"(Reporting by Jane Doe; Editing by Joe Roe)", "Jane Doe", true},
		{"Reporting by Jane Doe and Ann Lee in London", "Jane Doe and Ann Lee", true},
		{"Jane Doe | Reuters", "Jane Doe", true},
		{"By Jane Doe, Staff Writer", "Jane Doe", true},
		{"Redazione ANSA ROMA", "ANSA", true},
		{"Le Monde | 04.05.2015 à 13h36 • Mis à jour le 05.05.2015 à 20h13 | Par Martin Untersinger (avec Damien Leloup)", "Martin Untersinger", true},
		{"حوار: آسيا العتروس", "آسيا العتروس", true},
		// Sentences and menus are not bylines.
		{"Von Berlin aus fährt der Zug weiter.", "", false},
		{"Par ailleurs, le gouvernement a annoncé", "", false},
		{"Di Maio e Salvini", "", false},
		{"新闻 | 图片 | 洛阳", "", false},
		{"Heise-Foren: Einloggen | Registrieren", "", false},
		{"By the way", "", false},
	}
	for _, tt := range tests {
		name, ok := parseByline(tt.line)
		if name != tt.name || ok != tt.ok {
			t.Errorf("parseByline(%q) = %q, %v; want %q, %v", tt.line, name, ok, tt.name, tt.ok)
		}
	}
}

func TestBylineWordAlone(t *testing.T) {
	for _, l := range []string{"By", "by", "Von", "Par", "Por", "Door", "Автор:", "Текст:", "بقلم"} {
		if !isBylineWord(l) {
			t.Errorf("isBylineWord(%q) = false", l)
		}
	}
	for _, l := range []string{"Bye", "Home", "By Jane Doe"} {
		if isBylineWord(l) {
			t.Errorf("isBylineWord(%q) = true", l)
		}
	}
}

func TestTrimByline(t *testing.T) {
	for in, want := range map[string]string{
		"By Kim Park":        "Kim Park",
		"Von Anna Schmidt":   "Anna Schmidt",
		"Kim Park":           "Kim Park",
		" Redaktion Politik": "Redaktion Politik",
	} {
		if got := trimByline(in); got != want {
			t.Errorf("trimByline(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestReporterTag(t *testing.T) {
	if name, ok := reporterTag("【エルサレム＝酒井圭吾】イスラエルとイスラム主義組織ハマスの戦闘が続く"); !ok || name != "酒井圭吾" {
		t.Errorf("reporterTag = %q, %v", name, ok)
	}
	if _, ok := reporterTag("イスラエルとハマスの戦闘が続く"); ok {
		t.Error("reporterTag found a tag in a plain lede")
	}
}

func TestAgencyOfDateline(t *testing.T) {
	for lede, want := range map[string]string{
		"(ANSA) - ROMA, 28 LUG - Sarà Ghersini l'arbitro di Cagliari-Juventus.":                                                       "ANSA",
		"In Kenya i manifestanti irrompono in Parlamento: almeno 10 mortiRoma, 25 giu. (askanews) – Sono almeno 10 le persone morte.": "askanews",
		"МОСКВА, 29 июня. /ТАСС/. Движение от Можайского до Новорижского шоссе.":                                                      "ТАСС",
		"PARIS (AFP) - Un troisième Français est mort.":                                                                               "AFP",
		"Hörstel (ots) - Unbekannte Täter sind am Samstag eingebrochen.":                                                              "",
		"The council (which met on Tuesday) voted to close the bridge.":                                                               "",
	} {
		got, _ := agencyOfDateline(lede)
		if got != want {
			t.Errorf("agencyOfDateline(%q) = %q, want %q", lede, got, want)
		}
	}
}

func TestCreditLines(t *testing.T) {
	tests := map[string]string{
		"Patricio Candia | Palma de Mallorca | 08/01/2014":                                       "Patricio Candia",
		"Pete Evans · CBC News · Posted: Oct 14, 2022 9:27 AM ET | Last Updated: 24 minutes ago": "Pete Evans",
		"CNET Japan 3/9(木) 18:45配信":                                                              "CNET Japan",
		"AFP 30 avril 2015 à 07:19 (Mis à jour : 30 avril 2015 à 07:38)":                         "AFP",
		"【6月18日 AFP】ナイジェリア北東部ボルノ州で16日夜、自爆攻撃があった。":                                                "AFP",
		"谢若含2017-03-01 14:27:02":                                                                 "谢若含",
		"更新时间 2012年12月10日, 格林尼治标准时间10:41":                                                        "", // a label
		// No date beside the name, or no name first: not a credit.
		"Patricio Candia | Palma de Mallorca":   "",
		"Home | News | 08/01/2014":              "",
		"Council Closes the Old Bridge in 2024": "",
	}
	for l, want := range tests {
		var f fields
		ok := f.readCredit(l, "es") // a language that puts the day first
		if ok != (want != "") || f.author != want {
			t.Errorf("readCredit(%q) = %v, author %q; want %q", l, ok, f.author, want)
		}
	}
}

func TestSourceCredit(t *testing.T) {
	var f fields
	for l, want := range map[string]string{
		"2020-02-19 20:29:58  来源： 半月谈":                            "半月谈",
		"23 de marzo de 2017, 15:43 | Fuente: Diario de Mallorca": "Diario de Mallorca",
		"Fuente: Diario de Mallorca":                              "", // no date: a caption's credit
	} {
		if got, _ := sourceCredit(l, f.hasDate("es")); got != want {
			t.Errorf("sourceCredit(%q) = %q, want %q", l, got, want)
		}
	}
}
